using LlmGateway.Cpu;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmGateway.Tests.Units;

/// <summary>
/// The Cpu section reloaded while llama-server runs (appsettings.json edited): a new cap applies at once, a change of
/// threads, CPUs or priority waits for the next start and says so (restart_pending), an invalid section is ignored.
/// </summary>
/// <remarks>On a fake cgroup v1 tree: the cap is the quota file the backend writes.</remarks>
public sealed class CpuGovernorReloadTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("llmgw-reload-").FullName;
    private readonly IConfigurationRoot _configuration;
    private readonly CpuGovernor _governor;

    public CpuGovernorReloadTests()
    {
        foreach (var controller in new[] { "cpu", "cpuacct", "cpuset" })
        {
            Directory.CreateDirectory(Path.Combine(_root, controller));
            File.WriteAllText(Path.Combine(_root, controller, "cgroup.procs"), "");
        }

        File.WriteAllText(Path.Combine(_root, "cpuset", "cpuset.mems"), "0\n");
        _configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cpu:Profile"] = "Custom", ["Cpu:BudgetPercent"] = "50", ["Cpu:Mode"] = "Cap", ["Cpu:Backend"] = "CgroupV1",
            ["Cpu:CgroupRoot"] = _root, ["Cpu:Cpus"] = "0",
        }).Build();
        var options = _configuration.GetSection(CpuOptions.Section).Get<CpuOptions>()!;
        _governor = new CpuGovernor(Options.Create(options), _configuration, NullLogger<CpuGovernor>.Instance);
        _governor.Prepare();
    }

    public void Dispose()
    {
        _governor.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void ReloadedCap_AppliesAtOnce_WithoutARestart()
    {
        var quotaBefore = Quota();

        Reload(("Cpu:CapPercent", "25"));

        var report = _governor.Report();
        Assert.Equal(25, report.CapPercent);
        Assert.NotEqual(quotaBefore, Quota());
        Assert.False(report.RestartPending);
    }

    [Fact]
    public void ReloadedThreads_WaitForTheNextStart_AndSaySo()
    {
        var threads = _governor.Report().Threads;

        Reload(("Cpu:Threads", (threads + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var report = _governor.Report();
        Assert.True(report.RestartPending);
        Assert.Equal(threads, report.Threads); // the running child keeps its threads

        _governor.Prepare(); // the next start
        Assert.Equal(threads + 1, _governor.Report().Threads);
        Assert.False(_governor.Report().RestartPending);
    }

    [Fact]
    public void InvalidReload_IsIgnored()
    {
        var before = _governor.Report();
        var quota = Quota();

        Reload(("Cpu:BudgetPercent", "250"), ("Cpu:CapPercent", "10"));

        Assert.Equal(before.CapPercent, _governor.Report().CapPercent);
        Assert.Equal(quota, Quota());
        Assert.False(_governor.Report().RestartPending);
    }

    private void Reload(params (string Key, string Value)[] changes)
    {
        foreach (var (key, value) in changes)
        {
            _configuration[key] = value;
        }

        _configuration.Reload(); // fires the section's reload token, as a changed appsettings.json does
    }

    private string Quota() =>
        File.ReadAllText(Directory.GetFiles(Path.Combine(_root, "cpu"), "cpu.cfs_quota_us", SearchOption.AllDirectories).Single()).Trim();
}
