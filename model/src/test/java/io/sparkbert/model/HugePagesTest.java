package io.sparkbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HugePagesTest {

    @Test
    void readsTheTunableAmongOthersTheLastOneWinning() {
        assertEquals("1", HugePages.tunable("glibc.malloc.hugetlb=1"));
        assertEquals("0", HugePages.tunable("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0"));
        assertEquals("2", HugePages.tunable("glibc.malloc.hugetlb=1:glibc.malloc.hugetlb=2"));
        assertNull(HugePages.tunable("glibc.malloc.arena_max=2"));
        assertNull(HugePages.tunable("glibc.malloc.hugetlbx=1"));
        assertNull(HugePages.tunable(null));
    }

    @Test
    void readsTheKernelsChosenMode() {
        assertEquals("madvise", HugePages.kernelMode("always [madvise] never\n"));
        assertEquals("always", HugePages.kernelMode("[always] madvise never"));
        assertEquals("never", HugePages.kernelMode("always madvise [never]"));
        assertNull(HugePages.kernelMode(""));
    }

    @Test
    void saysWhatPagesTheArraysGet() {
        assertEquals("native memory: transparent huge pages (glibc.malloc.hugetlb=1, the kernel's transparent huge "
                + "pages: madvise)", HugePages.describe("glibc.malloc.hugetlb=1", "madvise"));
        assertEquals("native memory: transparent huge pages (the kernel's transparent huge pages: always)",
                HugePages.describe("glibc.malloc.hugetlb=0", "always"));
        assertEquals("native memory: 4 KiB pages (the kernel's transparent huge pages: never, so "
                + "glibc.malloc.hugetlb=1 changes nothing)", HugePages.describe("glibc.malloc.hugetlb=1", "never"));
        assertTrue(HugePages.describe(null, "madvise").startsWith("native memory: 4 KiB pages (the kernel's "
                + "transparent huge pages: madvise; GLIBC_TUNABLES=glibc.malloc.hugetlb=1"));
        assertTrue(HugePages.describe("glibc.malloc.hugetlb=0", "madvise").startsWith("native memory: 4 KiB pages"));
        assertTrue(HugePages.describe("glibc.malloc.hugetlb=1", null).contains("no transparent huge pages"));
    }

    /**
     * What the launcher's tunable does, in real processes: with it, a 64 MiB ND4J array lands (almost) wholly on
     * huge pages; without it, on a kernel in madvise mode, on none. Needs Linux with THP in madvise mode and glibc
     * 2.35 or later (skipped elsewhere).
     */
    @Test
    void theTunableGivesNd4jArraysHugePages() throws Exception {
        assumeTrue("madvise".equals(HugePages.kernelMode()), "the kernel's THP mode is not madvise");
        assumeTrue(glibcAtLeast(2, 35), "glibc before 2.35 has no glibc.malloc.hugetlb");
        List<String> with = probe("glibc.malloc.hugetlb=1");
        List<String> without = probe(null);
        long withKb = hugeKb(with);
        long withoutKb = hugeKb(without);
        assertTrue(withKb >= 60 * 1024, "with the tunable: " + with);
        assertEquals(0, withoutKb, "without it: " + without);
        assertTrue(with.contains("says native memory: transparent huge pages (glibc.malloc.hugetlb=1, the kernel's "
                + "transparent huge pages: madvise)"), with.toString());
    }

    private static long hugeKb(List<String> lines) {
        return lines.stream().filter(l -> l.startsWith("huge-kb ")).mapToLong(l -> Long.parseLong(l.split(" ")[1]))
                .findFirst().orElse(-1);
    }

    private static boolean glibcAtLeast(int major, int minor) throws IOException, InterruptedException {
        Process getconf = new ProcessBuilder("getconf", "GNU_LIBC_VERSION").redirectErrorStream(true).start();
        String version = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (getconf.waitFor() != 0 || !version.matches("glibc \\d+\\.\\d+.*")) {
            return false;
        }
        String[] parts = version.substring("glibc ".length()).split("\\.");
        int maj = Integer.parseInt(parts[0]);
        int min = Integer.parseInt(parts[1].replaceAll("\\D.*", ""));
        return maj > major || maj == major && min >= minor;
    }

    private static List<String> probe(String glibcTunables) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("GLIBC_TUNABLES", glibcTunables);   // null: without the variable
        return ChildJvm.run(HugePagesProbe.class, "512m", List.of(), env).lines()
                .filter(l -> l.startsWith("huge-kb ") || l.startsWith("says ")).toList();
    }
}
