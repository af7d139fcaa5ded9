package io.raftkv.cli;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code raftkv} command. */
@Command(name = "raftkv", mixinStandardHelpOptions = true, version = "raftkv 0.1.0",
        description = "A replicated key-value store on Raft.",
        // The load generator is a jar of its own (bench module: it carries the etcd client); bin/raftkv routes to it.
        footer = {"", "bin/raftkv bench runs the load generator (bench/target/raftkv-bench.jar); see bin/raftkv bench --help."},
        subcommands = {ServerCommand.class, DemoCommand.class, ClientCommands.Put.class, ClientCommands.Get.class,
                ClientCommands.Delete.class, ClientCommands.Cas.class, ClientCommands.Scan.class,
                ClientCommands.Status.class, ClientCommands.Snapshot.class, ClusterCommand.class, FaultCommand.class,
                TortureCommand.class,
                CommandLine.HelpCommand.class})
public final class RaftkvCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand (see raftkv --help)");
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status (0 on success). */
    static int run(String... args) {
        CommandLine cl = new CommandLine(new RaftkvCommand());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // One line on failure, as operators and scripts expect; the stack trace only with RAFTKV_DEBUG set.
            cmd.getErr().println("raftkv " + cmd.getCommandName() + ": " + (e.getMessage() != null ? e.getMessage()
                    : e.toString()));
            if (System.getenv("RAFTKV_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        // A config file supplies defaults to the subcommand that names it; find it before parsing.
        for (int i = 0; i < args.length; i++) {
            String file = null;
            if (args[i].equals("--config") && i + 1 < args.length) {
                file = args[i + 1];
            } else if (args[i].startsWith("--config=")) {
                file = args[i].substring("--config=".length());
            }
            if (file != null && args.length > 0 && cl.getSubcommands().containsKey(args[0])) {
                CommandLine sub = cl.getSubcommands().get(args[0]);
                try {
                    sub.setDefaultValueProvider(ConfigFileDefaults.load(Path.of(file), sub.getCommandSpec()));
                } catch (CommandLine.ParameterException e) {
                    cl.getErr().println("raftkv " + args[0] + ": " + e.getMessage());
                    return 2;
                }
            }
        }
        return cl.execute(args);
    }
}
