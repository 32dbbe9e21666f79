using System.Diagnostics;
using LlmGateway.Model;
using LlmGateway.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

// Records requests through GatewayMetrics with the OpenTelemetry SDK, the gateway's views and its Prometheus
// exporter attached, as in the gateway; prints the cost of one RequestEnded call.
//   MetricsCost GGUF [iterations]
var model = ServedModel.Load(new ModelOptions { Path = args[0] });
var iterations = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;

var services = new ServiceCollection().AddLogging().AddMetrics().AddSingleton(model).AddSingleton(TimeProvider.System);
services.AddGatewayTelemetry();
using var provider = services.BuildServiceProvider();
using var meters = provider.GetRequiredService<MeterProvider>(); // the SDK listens from here on
var metrics = provider.GetRequiredService<GatewayMetrics>();

var usage = new ResponseUsage(120, 100, 16, 0.05, 0.4, 2400, 40);
(bool Stream, int Status)[] records = [(false, 200), (true, 200), (false, 400), (true, 200)];

void Run(int n)
{
    for (var i = 0; i < n; i++)
    {
        var (stream, status) = records[i & 3];
        var record = new RequestRecord("chat_completions", 0) { Stream = stream, QueueWait = TimeSpan.FromMilliseconds(1), Usage = status == 200 ? usage : null };
        metrics.RequestStarted();
        metrics.RequestEnded(record, status, cancelled: false, TimeSpan.FromMilliseconds(500 + (i % 1000)), TimeSpan.FromMilliseconds(50 + (i % 100)));
    }
}

Run(iterations / 10); // warm-up: JIT, tiered compilation
var allocated = GC.GetAllocatedBytesForCurrentThread();
var watch = Stopwatch.StartNew();
Run(iterations);
watch.Stop();
Console.WriteLine($"{iterations} requests recorded: {watch.Elapsed.TotalNanoseconds / iterations / 1000:F2} us per request, "
    + $"{(GC.GetAllocatedBytesForCurrentThread() - allocated) / iterations} bytes allocated per request");
