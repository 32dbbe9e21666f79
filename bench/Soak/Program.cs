using System.Globalization;
using Soak;

// bench/soak.sh runs this against a gateway it started: a steady mixed load for N minutes while the gateway's and
// llama-server's memory, threads and open files are sampled; then the warm-up vs end table and the plots.
if (args is ["memory-bound", ..])
{
    return await MemoryBound.RunAsync(args);
}

if (args is ["plot-bound", ..])
{
    return MemoryBound.Plot(args);
}

var settings = SoakSettings.Parse(args);
using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
{
    BaseAddress = new Uri(settings.Url),
    Timeout = Timeout.InfiniteTimeSpan, // each request has its own deadline (a hang is an error, not a wait)
};

var gateway = new GatewayProbe(http);
var model = await gateway.ModelIdAsync();
var tally = new Tally();
var faults = new FaultLog();
var samples = new List<Sample>();
var started = DateTimeOffset.UtcNow;
using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(settings.Minutes));

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"soak: {settings.Minutes} min, {settings.Workers} workers, prompts of ~{settings.PromptWords} words, a llama-server kill every {settings.KillEverySeconds} s, gateway pid {settings.GatewayPid}, model {model}"));

var mix = new LoadMix(http, model, settings, tally, faults);
var workers = Enumerable.Range(0, settings.Workers).Select(i => Task.Run(() => mix.RunWorkerAsync(i, stop.Token))).ToArray();
var killer = Task.Run(() => FaultInjector.RunAsync(gateway, faults, settings, started, stop.Token));

var nextProgress = TimeSpan.FromMinutes(1);
var sampler = new ProcessSampler(settings.GatewayPid);
while (!stop.IsCancellationRequested)
{
    var sample = await sampler.SampleAsync(gateway, DateTimeOffset.UtcNow - started, tally.Total);
    samples.Add(sample);
    if (sample.Elapsed >= nextProgress)
    {
        nextProgress += TimeSpan.FromMinutes(1);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{sample.Elapsed.TotalMinutes,5:F1} min] {tally.Summary()} | gateway {sample.GatewayRssBytes / 1e6:F0} MB, {sample.GatewayThreads} threads, {sample.GatewayFds} fds | llama-server {sample.ChildRssBytes / 1e6:F0} MB (pid {sample.ChildPid})"));
    }

    try
    {
        await Task.Delay(TimeSpan.FromSeconds(settings.SampleSeconds), stop.Token);
    }
    catch (OperationCanceledException)
    {
    }
}

await Task.WhenAll(workers);
await killer;
samples.Add(await sampler.SampleAsync(gateway, DateTimeOffset.UtcNow - started, tally.Total));

var report = new SoakReport(settings, samples, tally, faults, sampler.CacheRamMiB, sampler.MemoryLimitBytes);
var table = report.Markdown();
Console.WriteLine();
Console.WriteLine(table);
Directory.CreateDirectory(settings.OutDirectory);
File.WriteAllText(Path.Combine(settings.OutDirectory, "soak-samples.csv"), report.Csv());
report.Plot(Path.Combine(settings.OutDirectory, "soak-memory.png"), Path.Combine(settings.OutDirectory, "soak-handles.png"));
File.WriteAllText(Path.Combine(settings.OutDirectory, "soak-table.md"), table);
Console.WriteLine($"wrote {settings.OutDirectory}/soak-memory.png, soak-handles.png, soak-samples.csv, soak-table.md");
return report.Passed ? 0 : 1;
