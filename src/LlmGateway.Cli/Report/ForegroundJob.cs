using System.Diagnostics;

namespace LlmGateway.Cli.Report;

/// <summary>
/// The "did the user notice" probe: a fixed amount of single-threaded arithmetic, timed alone and then again and again
/// beside the workload. Its slowdown is what an interactive program on the same machine would feel.
/// </summary>
public static class ForegroundJob
{
    /// <summary>Steps of the job: about 0.1-0.3 s on one core of a current machine, short enough to be repeated many times in a run.</summary>
    public const long Steps = 100_000_000;

    /// <summary>Runs the job once on this thread; returns how long it took.</summary>
    public static TimeSpan RunOnce()
    {
        var clock = Stopwatch.StartNew();
        // A 64-bit LCG: each step depends on the previous one, so neither the JIT nor the CPU can skip or overlap work.
        ulong x = 1;
        for (long i = 0; i < Steps; i++)
        {
            x = (x * 6364136223846793005UL) + 1442695040888963407UL;
        }

        GC.KeepAlive(x);
        return clock.Elapsed;
    }

    /// <summary>The median of <paramref name="runs"/> runs alone.</summary>
    public static double BaselineSeconds(int runs) =>
        Distribution.Of(Enumerable.Range(0, runs).Select(_ => RunOnce().TotalSeconds)).P50;

    /// <summary>Repeats the job on a thread of its own until <paramref name="stop"/>; the task gives each run's seconds.</summary>
    public static Task<IReadOnlyList<double>> RepeatUntil(CancellationToken stop)
    {
        var done = new TaskCompletionSource<IReadOnlyList<double>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var runs = new List<double>();
            while (!stop.IsCancellationRequested)
            {
                runs.Add(RunOnce().TotalSeconds);
            }

            done.SetResult(runs);
        })
        { IsBackground = true, Name = "llmgw foreground job" };
        thread.Start();
        return done.Task;
    }
}
