using System.Diagnostics;
using System.Runtime.InteropServices;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Serve;

/// <summary>llmgw serve: runs the gateway exactly as the README's scripts/run.sh does, and stops it on Ctrl-C or SIGTERM.</summary>
/// <remarks>
/// scripts/run.sh is the one way the gateway is started with its native parts (llama-server, the launcher, the demo model)
/// built and configured; serve runs it rather than repeating it, so both stay the same command. The configuration is
/// the same too: the environment (Model__Path=..., Cpu__Profile=...) is inherited and "--" arguments are passed on.
/// run.sh is started in a session of its own (setsid), so a terminal's Ctrl-C reaches only llmgw, which passes it on
/// once as SIGINT: the gateway then stops llama-server and exits, and llmgw exits with its code.
/// </remarks>
public sealed partial class ServeCommand : AsyncCommand<ServeSettings>
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    public override async Task<int> ExecuteAsync(CommandContext context, ServeSettings settings, CancellationToken cancellationToken)
    {
        var root = settings.Repo ?? Environment.GetEnvironmentVariable("LLMGW_ROOT")
            ?? FindCheckout(AppContext.BaseDirectory) ?? FindCheckout(Environment.CurrentDirectory);
        var script = root is null ? null : Path.Combine(root, "scripts", "run.sh");
        if (script is null || !File.Exists(script))
        {
            AnsiConsole.MarkupLine("[red]Cannot find scripts/run.sh: give the LlmGateway checkout with --repo DIR or LLMGW_ROOT.[/]");
            return 2;
        }

        var start = new ProcessStartInfo("setsid") { UseShellExecute = false };
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add(script);
        foreach (var arg in context.Remaining.Raw)
        {
            start.ArgumentList.Add(arg);
        }

        using var gateway = Process.Start(start) ?? throw new InvalidOperationException("could not start scripts/run.sh");
        var forwarded = 0;
        void Forward(PosixSignalContext signal)
        {
            signal.Cancel = true; // llmgw waits for the gateway to stop instead of exiting first
            if (Interlocked.Exchange(ref forwarded, 1) == 0 && !gateway.HasExited)
            {
                _ = Kill(gateway.Id, signal.Signal == PosixSignal.SIGTERM ? SigTerm : SigInt);
            }
        }

        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
        await gateway.WaitForExitAsync(CancellationToken.None);
        return gateway.ExitCode;
    }

    /// <summary>The nearest directory at or above <paramref name="from"/> with scripts/run.sh: the checkout llmgw was built in, or the one the user is in.</summary>
    private static string? FindCheckout(string from)
    {
        for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "run.sh")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
