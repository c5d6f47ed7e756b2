using System.CommandLine;
using Serilog;
using Tender;
using Tender.Cli;
using Tender.Loader;
using Tender.Manifest;
using Tender.Run;

namespace Tender
{
    /// <summary>
    /// The `tender` command. Every error the user can fix ends as one line "tender: …" on stderr
    /// and exit code 1; a guest's own end (halt, abort, crash, timeout, signal) maps to the exit
    /// codes of docs/abi.md.
    /// </summary>
    internal static class TenderProgram
    {
        public static int Main(string[] args) // the process entry point
        {
            Diagnostics.BootPhases.Start();
            try
            {
                return Dispatch(args);
            }
            catch (Exception e) when (e is TenderException or ElfFormatException or ManifestFormatException)
            {
                return Fail(e.Message);
            }
            catch (Kvm.KvmException e)
            {
                return Fail($"KVM: {e.Message}");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug in the tender, not a user error: one line, the details at debug level.
                Log.Debug(e, "internal error");
                return Fail($"internal error: {e.GetType().Name}: {e.Message} (run with --log-level=debug for details)");
            }
            finally
            {
                Log.CloseAndFlush();
            }
        }

        private static int Fail(string message)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"tender: {message}");
            return RunOutcome.TenderError;
        }

        private static int Dispatch(string[] args)
        {
            var run = RunCommand.Create();
            var root = new RootCommand("tender: boots unikernels (Solo5 hvt ABI) under Linux KVM");
            root.Subcommands.Add(run);
            root.Subcommands.Add(ManifestCommand.Create());
            root.Subcommands.Add(ImageCommand.Create());
            // Listed for --help only: `oci` is dispatched above, in runc's argument order (Cli/OciArguments).
            root.Subcommands.Add(new Command("oci", "The OCI runtime command line containerd's runc shim drives (docs/containers.md; 'tender oci --help')"));

            if (args.Length > 0 && args[0] == "oci") return OciCommand.Run(args[1..]);

            RunArguments? split = null;
            string[] tokens = args;
            if (args.Length > 0 && args[0] == "run")
            {
                split = RunArguments.Split(args[1..]);
                tokens = ["run", .. split.Tokens];
            }
            var parse = root.Parse(tokens);
            if (parse.Errors.Count > 0)
                return Fail($"{parse.Errors[0].Message} (see 'tender {(split is null ? "" : "run ")}--help')");
            if (split is null || parse.CommandResult.Command != run || HelpRequested(split))
                return parse.Invoke();

            var level = RunCommand.LogLevelOf(parse);
            var options = RunCommand.ToOptions(parse, split);
            return RunGuest(options, level);
        }

        /// <summary>Boots the guest and returns its exit code (docs/abi.md): `tender run` and the OCI runtime's container process.</summary>
        internal static int RunGuest(RunOptions options, Serilog.Events.LogEventLevel level)
        {
            Log.Logger = new LoggerConfiguration()
                .MinimumLevel.Is(level)
                .WriteTo.Console(outputTemplate: "tender: {Level:w}: {Message:lj}{NewLine}{Exception}",
                    standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose)
                .CreateLogger();

            Diagnostics.BootPhases.Mark("command line and logger");
            using var stop = new StopController();
            stop.ListenForSignals();
            if (options.Timeout is TimeSpan timeout) stop.StartTimeout(timeout, options.TimeoutText!);
            var outcome = new GuestRunner(options, stop).Run();
            Console.Out.Flush();
            Diagnostics.BootPhases.Mark("torn down");
            Log.Debug("boot phases {Phases}", Diagnostics.BootPhases.Describe());
            switch (outcome.ExitCode)
            {
                case RunOutcome.Timeout:
                    Log.Error("{Description}", outcome.Description);
                    break;
                case RunOutcome.Sigint or RunOutcome.Sigterm:
                    Log.Warning("{Description}", outcome.Description);
                    break;
                case RunOutcome.Abort when outcome.AbortMessage is not null:
                    Console.Error.WriteLine($"tender: guest aborted: {outcome.AbortMessage}");
                    break;
                case RunOutcome.Abort:
                    Console.Error.WriteLine("tender: guest aborted");
                    break;
                default:
                    Log.Information("{Description}", outcome.Description);
                    break;
            }
            return outcome.ExitCode;
        }

        private static bool HelpRequested(RunArguments split) =>
            split.Tokens.Any(t => t is "--help" or "-h" or "-?");
    }
}
