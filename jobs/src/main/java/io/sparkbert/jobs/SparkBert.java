package io.sparkbert.jobs;

import io.sparkbert.model.BlasKernels;
import io.sparkbert.model.HugePages;
import io.sparkbert.model.NativeBuild;
import io.sparkbert.pipeline.tokenizer.InvalidVocabException;
import io.sparkbert.pipeline.util.OutputExistsException;
import io.sparkbert.pipeline.util.OutputLock;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The one entry point: {@code bin/sparkbert <command>} locally, or
 * {@code spark-submit --class io.sparkbert.jobs.SparkBert sparkbert.jar <command>} on a cluster.
 */
@Command(name = "sparkbert", mixinStandardHelpOptions = true, versionProvider = SparkBert.Version.class,
        description = "BERT pretraining on Spark and DL4J: tokenizer, vocabulary, preprocessing, training, export.",
        subcommands = {
            TokenizeCommand.class,
            VocabCommand.class,
            PreprocessCommand.class,
            InspectCommand.class,
            CooccurCommand.class,
            GloveCommand.class,
            NeighborsCommand.class,
            InitCommand.class,
            PretrainCommand.class,
            FillMaskCommand.class,
            InferCommand.class,
            ExportCommand.class,
            ImportCommand.class,
            BenchCommand.class,
            DemoCommand.class,
            LocalClusterCommand.class,
            ConfigCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class SparkBert implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(SparkBert.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** SameDiff's per-op line printed when it builds a gradient function (see {@link LineFilter}). */
    static final String SAMEDIFF_NOISE = "Added differentiated op ";

    public static void main(String[] args) {
        NativeBuild.selectForThisMachine();     // before anything loads ND4J (see NativeBuild)
        System.setOut(new java.io.PrintStream(new LineFilter(System.out, SAMEDIFF_NOISE), true,
                java.nio.charset.StandardCharsets.UTF_8));
        int status = execute(args);
        System.out.flush();
        System.exit(status);
    }

    /** Runs a command line and returns its exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine commandLine = new CommandLine(new SparkBert());
        OutputLocks.commandLine(args);
        try {
            Path userConfig = Settings.configOption(args);
            Settings settings = Settings.load(userConfig);
            settings.checkUserKeys(commandLine);
            commandLine.setDefaultValueProvider(settings);
            commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
                // Errors a user can fix get one clear line; anything else keeps its stack trace.
                if (isUserError(e)) {
                    cmd.getErr().println("sparkbert " + cmd.getCommandName() + ": " + printable(e.getMessage()));
                    return 2;
                }
                LOG.error("sparkbert {} failed", cmd.getCommandName(), e);
                Hints.of(e).ifPresent(hint -> cmd.getErr().println("sparkbert: " + hint));
                return 1;
            });
            return commandLine.execute(args);
        } catch (CommandLine.ParameterException e) {
            commandLine.getErr().println("sparkbert: " + printable(e.getMessage()));
            return 2;
        } catch (Error e) { // IllegalAccessError, OutOfMemoryError, UnsatisfiedLinkError pass picocli's handler
            var hint = Hints.of(e);
            if (hint.isEmpty()) {
                throw e;
            }
            LOG.error("sparkbert failed", e);
            commandLine.getErr().println("sparkbert: " + e);
            commandLine.getErr().println("sparkbert: " + hint.get());
            return 1;
        }
    }

    /**
     * A user error's message as the one line it is printed as: line breaks and other control characters (which a
     * message may quote from the user's input) are shown as escapes.
     */
    static String printable(String message) {
        StringBuilder out = new StringBuilder(message.length());
        message.codePoints().forEach(c -> {
            int type = Character.getType(c);
            if (type == Character.CONTROL || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
                out.append(String.format(java.util.Locale.ROOT, "\\u%04X", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    static boolean isUserError(Throwable e) {
        return e instanceof InvalidVocabException
                || e instanceof OutputExistsException
                || e instanceof OutputLock.LockedException
                || e instanceof UserError
                || e instanceof io.sparkbert.model.train.NoExecutorsException
                || (e instanceof IllegalArgumentException && e.getMessage() != null)
                || e instanceof NoSuchFileException
                || e instanceof UncheckedIOException && e.getCause() instanceof NoSuchFileException;
    }

    /** A problem with the user's input or options, reported as one line without a stack trace. */
    public static final class UserError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UserError(String message) {
            super(message);
        }

        /** Refuses an option value below {@code min} ({@code meaning} says what the smallest values mean). */
        static void requireAtLeast(String option, long value, long min, String meaning) {
            if (value < min) {
                throw new UserError(option + " must be at least " + min + (meaning.isEmpty() ? "" : " (" + meaning + ")")
                        + ": " + value);
            }
        }
    }

    /** Version from the jar manifest (unknown when running from classes). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = SparkBert.class.getPackage().getImplementationVersion();
            return new String[] {"sparkbert " + (version != null ? version : "(development build)"),
                BlasKernels.describe(System.getenv("OPENBLAS_CORETYPE"), BlasKernels.cpuFlags(Path.of("/proc/cpuinfo"))),
                NativeBuild.describe(), HugePages.describe()};
        }
    }
}
