using System.Diagnostics;
using System.Globalization;

namespace Soak;

/// <summary>Every so often kill -9 of llama-server (the pid /ready reports), then wait until the gateway has a new one ready.</summary>
public static class FaultInjector
{
    /// <summary>After the new child is ready, requests that were queued during the restart may still fail on it for a moment.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(GatewayProbe gateway, FaultLog faults, SoakSettings settings, DateTimeOffset started, CancellationToken ct)
    {
        if (settings.KillEverySeconds <= 0)
        {
            return;
        }

        var next = started + TimeSpan.FromSeconds(settings.KillEverySeconds);
        try
        {
            while (true)
            {
                var wait = next - DateTimeOffset.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct);
                }

                next += TimeSpan.FromSeconds(settings.KillEverySeconds);
                if (await gateway.ReadyAsync(ct) is not ("ready", { } pid))
                {
                    continue;
                }

                var window = faults.Open(DateTimeOffset.UtcNow);
                using (var child = Process.GetProcessById(pid))
                {
                    child.Kill(); // SIGKILL on Linux: the crash the supervisor must recover from
                }

                var killedAt = DateTimeOffset.UtcNow;
                while (await gateway.ReadyAsync(CancellationToken.None) is not ("ready", { } now) || now == pid)
                {
                    await Task.Delay(200, CancellationToken.None);
                }

                var back = DateTimeOffset.UtcNow;
                faults.Close(window, back + Settle);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{(killedAt - started).TotalMinutes,5:F1} min] killed llama-server pid {pid} (SIGKILL); a new one was ready {(back - killedAt).TotalSeconds:F1} s later"));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
