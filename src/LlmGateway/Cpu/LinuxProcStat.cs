namespace LlmGateway.Cpu;

/// <summary>CPU and memory counters from Linux's /proc, for one sampler: files stay open between samples.</summary>
/// <remarks>
/// A process's CPU, when no cgroup counts it, is the sum of its threads' schedstat run time in nanoseconds:
/// /proc/PID/stat counts in 10 ms ticks, too coarse for 100 ms samples on a few cores.
/// </remarks>
public sealed class LinuxProcStat : IDisposable
{
    private static readonly long PageSize = Environment.SystemPageSize;
    private readonly ProcFile _stat = new("/proc/stat");
    private readonly ProcFile _selfStatm = new("/proc/self/statm");
    private readonly Dictionary<int, ProcFile> _statm = [];
    private ProcFile? _schedstat;

    /// <summary>(busy, total) clock ticks of all CPUs since boot, from the first line of /proc/stat.</summary>
    public (long Busy, long Total)? SystemTicks()
    {
        var text = _stat.Read();
        if (!text.StartsWith("cpu "u8))
        {
            return null;
        }

        Span<long> f = stackalloc long[8]; // user nice system idle iowait irq softirq steal; guest time is already in user
        var n = ProcFile.Numbers(text[4..], f);
        if (n < 4)
        {
            return null;
        }

        long total = 0;
        for (var i = 0; i < n; i++)
        {
            total += f[i];
        }

        return (total - f[3] - (n > 4 ? f[4] : 0), total); // idle and iowait are not busy
    }

    /// <summary>Resident memory of the process in bytes (statm's second field, in pages), or null when it is gone.</summary>
    /// <remarks>One open file per child (one per loaded model), closed once its process is gone.</remarks>
    public long? ResidentBytes(int pid)
    {
        if (!_statm.TryGetValue(pid, out var statm))
        {
            _statm[pid] = statm = new ProcFile($"/proc/{pid}/statm");
        }

        Span<long> f = stackalloc long[2];
        if (ProcFile.Numbers(statm.Read(), f) == 2)
        {
            return f[1] * PageSize;
        }

        statm.Dispose();
        _statm.Remove(pid);
        return null;
    }

    /// <summary>The resident memory of <paramref name="pid"/> read once, for a caller that keeps no file open; null when it is gone.</summary>
    public static long? ResidentBytesOnce(int pid)
    {
        using var statm = new ProcFile($"/proc/{pid}/statm");
        Span<long> f = stackalloc long[2];
        return ProcFile.Numbers(statm.Read(), f) == 2 ? f[1] * PageSize : null;
    }

    /// <summary>The gateway's own resident memory in bytes; 0 when /proc cannot be read.</summary>
    /// <remarks>Environment.WorkingSet would do, but on Linux it builds a Process object per call: too dear once a second at idle.</remarks>
    public long SelfResidentBytes()
    {
        Span<long> f = stackalloc long[2];
        return ProcFile.Numbers(_selfStatm.Read(), f) == 2 ? f[1] * PageSize : 0;
    }

    /// <summary>Nanoseconds all threads of the process have run, or null when it is gone.</summary>
    public static long? ProcessCpuNanoseconds(int pid)
    {
        try
        {
            long total = 0;
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                using var schedstat = new ProcFile(Path.Combine(task, "schedstat"));
                total += ProcFile.FirstNumber(schedstat.Read()) ?? 0;
            }

            return total;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Nanoseconds the process's main thread has waited on a run queue (schedstat's second field), or null when it is gone.</summary>
    /// <remarks>The main thread loads the model and takes part in every batch, so its waiting stands for the process's.</remarks>
    public long? RunDelayNanoseconds(int pid)
    {
        var path = $"/proc/{pid}/schedstat";
        if (_schedstat?.Path != path)
        {
            _schedstat?.Dispose();
            _schedstat = new ProcFile(path);
        }

        Span<long> f = stackalloc long[2];
        return ProcFile.Numbers(_schedstat.Read(), f) == 2 ? f[1] : null;
    }

    public void Dispose()
    {
        _stat.Dispose();
        _selfStatm.Dispose();
        foreach (var statm in _statm.Values)
        {
            statm.Dispose();
        }

        _schedstat?.Dispose();
    }
}
