package io.sparkbert.pipeline.util;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exclusive lock on an output, so that two runs pointed at the same output refuse cleanly instead
 * of interleaving their writes. The lock is a hidden file beside the output ({@code dir/.name.lock},
 * never inside it: outputs are renamed into place) that records who holds it: host, pid, user,
 * command and start time. The second run fails at once with {@link LockedException}, whose message
 * names the holder. {@link #close()} releases the lock and deletes the lock file.
 *
 * <p>The holding JVM must not open the lock file any other way: POSIX drops all of a process's locks
 * on a file when it closes any descriptor of that file.
 *
 * <p>Deleting a local lock file safely: a run may have opened the file just before its holder deleted it
 * and lock it just after, while a third run creates a new file under the same name and locks that one:
 * two holders. So the file is deleted only while its lock is held, and a run that got a lock checks that
 * the name still leads to the very file it locked (the channel's descriptor, found in
 * {@code /proc/self/fd}, and the path have the same {@link BasicFileAttributes#fileKey() file key});
 * if not, it lets go and tries again. Where that cannot be checked (no {@code /proc}), the run keeps the
 * lock file instead, emptied, as earlier versions did: a run that never deletes needs no check. (Runs
 * that cannot check must not share an output with runs that delete, e.g. a non-Linux host on an NFS
 * mount.)
 *
 * <p>How a dead holder is detected:
 * <ul>
 *   <li>Local paths ({@code file:}) are locked with {@link FileChannel#tryLock()} (POSIX {@code fcntl}
 *       locks). The operating system drops such a lock when its process dies, however it dies, so a
 *       lock file left by a killed run is simply taken over. On a shared filesystem mounted by several
 *       hosts this is exactly as reliable as the mount's lock support: NFSv4 (and NFSv3 with
 *       {@code lockd}) enforce these locks across hosts; filesystems that ignore {@code fcntl} locks do
 *       not, and two hosts could then both think they hold the lock.
 *   <li>Other Hadoop filesystems (HDFS, S3A, ...) have no such locks: the lock file is created with
 *       {@code overwrite=false}, which is atomic on HDFS (on S3 only since conditional writes, and not
 *       with every S3A version). A lock file whose holder ran on <em>this</em> host with a process id
 *       that is no longer alive is stale and taken over. A holder on another host cannot be checked from
 *       here: the run refuses and the message says which lock file to delete if that run is gone.
 * </ul>
 */
public final class OutputLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);

    /** Another run holds the lock; the message says who and since when. */
    public static final class LockedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;
        private final Holder holder;

        LockedException(String output, String lockFile, Holder holder, boolean checkable) {
            super("output " + output + " is locked by another run: " + holder.describe() + ". "
                    + (checkable ? "It is released when that run ends."
                            : "If that run is gone, delete the lock file " + lockFile + "."));
            this.holder = holder;
        }

        public Holder holder() {
            return holder;
        }
    }

    /** Who holds a lock. */
    public record Holder(String host, long pid, String user, String command, String started, String id) {
        static Holder current(String command) {
            return new Holder(hostName(), ProcessHandle.current().pid(), System.getProperty("user.name", "?"),
                    command, Instant.now().toString(), UUID.randomUUID().toString());
        }

        String describe() {
            return "'" + command + "' (pid " + pid + " on host " + host + ", user " + user + ", started " + started
                    + ")";
        }

        byte[] toBytes() {
            Properties p = new Properties();
            p.setProperty("host", host);
            p.setProperty("pid", Long.toString(pid));
            p.setProperty("user", user);
            p.setProperty("command", command);
            p.setProperty("started", started);
            p.setProperty("id", id);
            StringBuilder text = new StringBuilder("# sparkbert output lock\n");
            // fixed order, so the file is easy to read
            for (String key : new String[] {"host", "pid", "user", "command", "started", "id"}) {
                text.append(key).append('=').append(escape(p.getProperty(key))).append('\n');
            }
            return text.toString().getBytes(StandardCharsets.UTF_8);
        }

        static Holder parse(byte[] bytes) {
            Properties p = new Properties();
            try {
                p.load(new StringReader(new String(bytes, StandardCharsets.UTF_8)));
            } catch (IOException | IllegalArgumentException e) {
                return unknown();
            }
            long pid;
            try {
                pid = Long.parseLong(p.getProperty("pid", "-1"));
            } catch (NumberFormatException e) {
                pid = -1;
            }
            return new Holder(p.getProperty("host", "?"), pid, p.getProperty("user", "?"),
                    p.getProperty("command", "?"), p.getProperty("started", "?"), p.getProperty("id", "?"));
        }

        static Holder unknown() {
            return new Holder("?", -1, "?", "?", "?", "?");
        }

        private static String escape(String value) {
            return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
        }
    }

    /** Local locks this JVM holds, by file (a second channel on a locked file must never be opened). */
    private static final java.util.Map<String, OutputLock> HELD_IN_THIS_JVM = new java.util.HashMap<>();

    private final Path lockPath;
    private final FileSystem fs;
    private final FileChannel channel;
    private final FileLock osLock;
    private final Holder holder;
    private final Holder previous;
    /** A local lock file whose name was checked to lead to the locked file: deleted on release. */
    private final boolean deleteOnRelease;
    private boolean released;
    private String jvmKey;

    private OutputLock(Path lockPath, FileSystem fs, FileChannel channel, FileLock osLock, Holder holder,
                       Holder previous, boolean deleteOnRelease) {
        this.lockPath = lockPath;
        this.fs = fs;
        this.channel = channel;
        this.osLock = osLock;
        this.holder = holder;
        this.previous = previous;
        this.deleteOnRelease = deleteOnRelease;
    }

    /** The lock file of an output: {@code parent/.name.lock}. */
    public static Path lockFileOf(String output) {
        Path target = new Path(output);
        return new Path(target.getParent(), "." + target.getName() + ".lock");
    }

    /**
     * Takes the lock of {@code output} for {@code command} (a short description a user recognises, such
     * as the command line), or fails with {@link LockedException} naming the current holder.
     */
    public static OutputLock acquire(String output, String command, Configuration hadoop) throws IOException {
        output = output.length() > 1 ? output.replaceFirst("(?<!/)/+$", "") : output; // no trailing slash
        Path lock = lockFileOf(output);
        FileSystem fs = lock.getFileSystem(hadoop);
        if (fs instanceof LocalFileSystem local) {
            fs = local.getRawFileSystem();
        }
        Holder me = Holder.current(command);
        OutputLock taken = "file".equals(fs.getUri().getScheme()) ? acquireLocal(output, lock, fs, me)
                : acquireByCreate(output, lock, fs, me);
        removeStaleStaging(output, fs);
        return taken;
    }

    /**
     * Deletes the staging files and directories ({@code .NAME.tmp-*} beside the output) that a killed run left:
     * while we hold the lock no other run writes this output, so every one of them is a dead run's.
     */
    private static void removeStaleStaging(String output, FileSystem fs) throws IOException {
        Path target = new Path(output);
        Path parent = target.getParent();
        if (parent == null || !fs.exists(parent)) {
            return;
        }
        String prefix = "." + target.getName() + ".tmp-";
        for (var status : fs.listStatus(parent, p -> p.getName().startsWith(prefix))) {
            LOG.warn("Removing {}, left by an interrupted run of this output", status.getPath());
            fs.delete(status.getPath(), true);
        }
    }

    /** The holder this lock recorded. */
    public Holder holder() {
        return holder;
    }

    /** The holder of a stale lock this one took over (its process had died), or null. */
    public Holder tookOverFrom() {
        return previous;
    }

    public Path lockFile() {
        return lockPath;
    }

    private static OutputLock acquireLocal(String output, Path lock, FileSystem fs, Holder me) throws IOException {
        java.nio.file.Path file = java.nio.file.Path.of(fs.makeQualified(lock).toUri());
        Files.createDirectories(file.getParent());
        // the real directory: the same file reached through a symbolic link must not be opened a second time
        String key = file.toAbsolutePath().getParent().toRealPath().resolve(file.getFileName()).toString();
        synchronized (HELD_IN_THIS_JVM) {
            OutputLock mine = HELD_IN_THIS_JVM.get(key);
            if (mine != null) {
                // Never open a second descriptor of a file this process has locked: closing it would drop the lock.
                throw new LockedException(output, file.toString(), mine.holder, true);
            }
            OutputLock taken = acquireLocal(output, lock, fs, me, file);
            HELD_IN_THIS_JVM.put(key, taken);
            taken.jvmKey = key;
            return taken;
        }
    }

    /** Tests only: runs between opening a local lock file and locking it, to force the race a release can lose. */
    static volatile Runnable betweenOpenAndLock;

    /** How often a run that locked a file its holder had just deleted tries again before it gives up. */
    private static final int LOCAL_ATTEMPTS = 100;

    private static OutputLock acquireLocal(String output, Path lock, FileSystem fs, Holder me, java.nio.file.Path file)
            throws IOException {
        for (int attempt = 1; ; attempt++) {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            try {
                Runnable hook = betweenOpenAndLock;
                if (hook != null) {
                    hook.run();
                }
                FileLock osLock = channel.tryLock();
                if (osLock == null) {
                    Holder holder = readHolder(channel);
                    for (int wait = 0; wait < 20 && holder.pid() < 0; wait++) { // the holder is still writing it
                        sleep(50);
                        holder = readHolder(channel);
                    }
                    channel.close();
                    throw new LockedException(output, file.toString(), holder, true);
                }
                Identity identity = identity(file, channel);
                if (identity == Identity.OTHER) {
                    // Its holder deleted this file as it released it; the name leads elsewhere (or nowhere) now.
                    channel.close();
                    if (attempt >= LOCAL_ATTEMPTS) {
                        throw new IOException("could not lock " + file + ": the lock file was replaced " + attempt
                                + " times in a row");
                    }
                    continue;
                }
                if (identity == Identity.UNKNOWN) {
                    LOG.debug("Cannot tell whether {} still names the locked file; it will be kept", file);
                }
                // A lock file that is not empty was left by a holder that died without releasing it (the OS
                // dropped its lock): take it over, and say so.
                Holder previous = channel.size() > 0 ? readHolder(channel) : null;
                channel.truncate(0);
                channel.write(ByteBuffer.wrap(me.toBytes()), 0);
                channel.force(true);
                if (previous != null) {
                    LOG.warn("Took over the lock of {} left by {}, which ended without releasing it", output,
                            previous.describe());
                }
                return new OutputLock(lock, fs, channel, osLock, me, previous, identity == Identity.SAME);
            } catch (IOException | RuntimeException | Error e) {
                channel.close();
                throw e;
            }
        }
    }

    /** Whether a lock file's name leads to the file a channel has open. */
    enum Identity { SAME, OTHER, UNKNOWN }

    private static final java.nio.file.Path OWN_FDS = java.nio.file.Path.of("/proc/self/fd");
    private static final java.nio.file.Path OWN_FDINFO = java.nio.file.Path.of("/proc/self/fdinfo");

    /**
     * Whether {@code file} still names the file {@code channel} has open. Java has no {@code fstat}, so the
     * channel's descriptor is looked up in {@code /proc/self/fd}: it is the one whose file position (shown in
     * {@code /proc/self/fdinfo}) is a random mark set just before. The lock file is only ever read and
     * written at explicit offsets, so its position is free for that. {@link Identity#UNKNOWN} when this
     * cannot be told here.
     */
    static Identity identity(java.nio.file.Path file, FileChannel channel) throws IOException {
        Object pathKey;
        try {
            pathKey = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException deleted) {
            return Identity.OTHER;
        }
        if (pathKey == null || !Files.isDirectory(OWN_FDS) || !Files.isDirectory(OWN_FDINFO)) {
            return Identity.UNKNOWN;
        }
        long mark = (1L << 40) + ThreadLocalRandom.current().nextLong(1L << 40);
        channel.position(mark);
        String name = file.getFileName().toString();
        try {
            // Normally the descriptor's link still shows the name (perhaps with " (deleted)"); NFS renames
            // a deleted file that is still open, so failing that every descriptor is looked at.
            String fd = descriptorAt(mark, target -> target.contains(name));
            if (fd == null) {
                fd = descriptorAt(mark, target -> true);
            }
            if (fd == null) {
                return Identity.UNKNOWN;
            }
            Object channelKey = Files.readAttributes(OWN_FDS.resolve(fd), BasicFileAttributes.class).fileKey();
            return pathKey.equals(channelKey) ? Identity.SAME : Identity.OTHER;
        } catch (IOException | SecurityException e) {
            LOG.debug("Cannot read this process's descriptors", e);
            return Identity.UNKNOWN;
        }
    }

    /** The descriptor of this process whose link target passes {@code target} and whose position is {@code mark}. */
    private static String descriptorAt(long mark, Predicate<String> target) throws IOException {
        String position = "pos:\t" + mark;
        try (DirectoryStream<java.nio.file.Path> fds = Files.newDirectoryStream(OWN_FDS)) {
            for (java.nio.file.Path fd : fds) {
                String number = fd.getFileName().toString();
                try {
                    if (target.test(Files.readSymbolicLink(fd).toString())
                            && Files.readAllLines(OWN_FDINFO.resolve(number)).contains(position)) {
                        return number;
                    }
                } catch (IOException closedMeanwhile) {
                    // another thread's descriptor, closed since the listing
                }
            }
        }
        return null;
    }

    private static Holder readHolder(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(channel.size(), 64 << 10));
        channel.read(buffer, 0);
        return Holder.parse(java.util.Arrays.copyOf(buffer.array(), buffer.position()));
    }

    /** Lock files on filesystems without OS locks: exclusive create; stale if its pid on this host is dead. */
    static OutputLock acquireByCreate(String output, Path lock, FileSystem fs, Holder me) throws IOException {
        if (lock.getParent() != null) {
            fs.mkdirs(lock.getParent());
        }
        Holder stale = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            if (!fs.exists(lock)) {
                try (OutputStream out = fs.create(lock, false)) {
                    out.write(me.toBytes());
                } catch (IOException lostTheRace) { // FileAlreadyExistsException, or a plain IOException
                    if (!fs.exists(lock)) {
                        throw lostTheRace;
                    }
                    continue;
                }
                if (stale != null) {
                    LOG.warn("Took over the lock of {} left by {}, whose process is gone", output, stale.describe());
                }
                return new OutputLock(lock, fs, null, null, me, stale, false);
            }
            Holder holder = readHolder(fs, lock);
            if (holder == null) {
                continue; // released meanwhile
            }
            if (holder.host().equals(me.host()) && holder.pid() > 0 && !isAlive(holder.pid())) {
                fs.delete(lock, false); // stale: its process on this host is gone
                stale = holder;
                continue;
            }
            throw new LockedException(output, lock.toString(), holder, false);
        }
        throw new IOException("could not create the lock file " + lock);
    }

    private static Holder readHolder(FileSystem fs, Path lock) throws IOException {
        try (InputStream in = fs.open(lock)) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            in.transferTo(bytes);
            return Holder.parse(bytes.toByteArray());
        } catch (java.io.FileNotFoundException gone) {
            return null;
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading a lock file");
        }
    }

    static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String env = System.getenv("HOSTNAME");
            return env != null && !env.isBlank() ? env : "unknown-host";
        }
    }

    /**
     * Releases the lock and deletes the lock file. A local one is deleted while still locked, and only if
     * its name was seen to lead to the locked file (see the class comment); otherwise it is emptied and
     * kept. On other filesystems the lock file is deleted if it is still the one this lock created.
     */
    @Override
    public synchronized void close() throws IOException {
        if (released) {
            return;
        }
        released = true;
        if (channel == null) {
            Holder now = readHolder(fs, lockPath);
            if (now != null && now.id().equals(holder.id())) {
                fs.delete(lockPath, false);
            } else {
                LOG.warn("Not deleting the lock file {}: it is no longer the one this run created ({})", lockPath,
                        now == null ? "gone" : "now held by " + now.describe());
            }
            return;
        }
        synchronized (HELD_IN_THIS_JVM) {
            try {
                if (!deleteOnRelease || !deleteLocked()) {
                    channel.truncate(0);
                    channel.force(true);
                }
            } finally {
                try {
                    osLock.release();
                } finally {
                    channel.close();
                    HELD_IN_THIS_JVM.remove(jvmKey);
                }
            }
        }
    }

    /** Deletes the local lock file, still locked; false if it could not be deleted. */
    private boolean deleteLocked() {
        java.nio.file.Path file = java.nio.file.Path.of(fs.makeQualified(lockPath).toUri());
        try {
            Files.deleteIfExists(file);
            return true;
        } catch (IOException e) {
            LOG.warn("Could not delete the lock file {} ({}); it is left empty", file, e.toString());
            return false;
        }
    }
}
