using System.Globalization;
using CliWrap;

namespace LlmGateway.Cpu.Backends;

/// <summary>A cap by cpulimit: it stops and continues the child (SIGSTOP/SIGCONT) to hold it near the limit.</summary>
/// <remarks>
/// Reactive: it measures, then stops the child, so spikes above the cap get through (the research saw
/// peaks of 105 % under a 50 % limit). The last resort where no kernel cap is reachable. Stopped with
/// SIGINT, on which cpulimit continues the child before it leaves, so the child is never left stopped.
/// </remarks>
public sealed class CpulimitCap(string executable, ILogger logger) : IDisposable
{
    private CancellationTokenSource? _graceful;
    private int? _pid;

    /// <summary>cpulimit on PATH, or null.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "cpulimit"))
            .FirstOrDefault(File.Exists);

    public string Executable => executable;

    /// <summary>cpulimit's -l is percent of one CPU, up to 100 per core.</summary>
    public static int Limit(CpuPlan plan) => (int)Math.Max(1, Math.Round(plan.CapPercent!.Value * plan.Cores));

    public void Start(int pid, CpuPlan plan)
    {
        Stop();
        _pid = pid;
        if (plan.CapPercent is null)
        {
            return;
        }

        // Not disposed: Stop() may cancel after cpulimit has left by itself (-z, when the child died).
        var graceful = new CancellationTokenSource();
        var forceful = new CancellationTokenSource();
        graceful.Token.Register(() => forceful.CancelAfter(TimeSpan.FromSeconds(2)));
        _graceful = graceful;
        var limit = Limit(plan).ToString(CultureInfo.InvariantCulture);
        var run = Cli.Wrap(executable)
            .WithArguments(["-p", pid.ToString(CultureInfo.InvariantCulture), "-l", limit, "-z"])
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line => logger.LogDebug("cpulimit: {Line}", line)))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(line => logger.LogDebug("cpulimit: {Line}", line)))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(forceful.Token, graceful.Token);
        _ = run.Task.ContinueWith(t => logger.LogWarning("cpulimit failed: {Reason}", t.Exception?.GetBaseException().Message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>A new limit for the same child: cpulimit cannot be told, so it is restarted.</summary>
    public void Change(CpuPlan plan)
    {
        if (_pid is { } pid)
        {
            Start(pid, plan);
        }
    }

    /// <summary>Stops watching <paramref name="pid"/> when it is the one watched: cpulimit follows one process, the newest child.</summary>
    public void Stop(int pid)
    {
        if (_pid == pid)
        {
            Stop();
        }
    }

    public void Stop()
    {
        var graceful = Interlocked.Exchange(ref _graceful, null);
        graceful?.Cancel();
    }

    public void Dispose() => Stop();
}
