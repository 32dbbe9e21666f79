using System.Diagnostics;

namespace LlmGateway.Cpu;

/// <summary>The CPUs this process may run on: "the machine" that budgets are a percent of.</summary>
public static class CpuTopology
{
    public static IReadOnlyList<int> AvailableCpus()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
        {
            // The affinity mask, so a container or a taskset limits the machine as the kernel does.
            var mask = (ulong)(long)Process.GetCurrentProcess().ProcessorAffinity;
            var cpus = Enumerable.Range(0, 64).Where(c => (mask & (1UL << c)) != 0).ToList();
            if (cpus.Count > 0)
            {
                return cpus;
            }
        }

        return [.. Enumerable.Range(0, Environment.ProcessorCount)];
    }
}
