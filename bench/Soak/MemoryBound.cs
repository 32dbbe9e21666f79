using System.Globalization;
using System.Net.Http.Json;
using System.Text;

namespace Soak;

/// <summary>
/// bench/memory-bound.sh: N distinct ~2,000-token prompts one after another, llama-server's RSS after each; then both
/// runs (llama-server's own 8 GiB prompt cache, and the one the budget sizes) on one plot.
/// </summary>
public static class MemoryBound
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name) => args[Array.IndexOf(args, name) + 1];
        var prompts = int.Parse(Arg("--prompts"), CultureInfo.InvariantCulture);
        using var http = new HttpClient { BaseAddress = new Uri(Arg("--url")), Timeout = TimeSpan.FromMinutes(3) };
        var gateway = new GatewayProbe(http);
        var model = await gateway.ModelIdAsync();
        var csv = new StringBuilder("prompt,child_rss_bytes\n");
        for (var n = 0; n <= prompts; n++)
        {
            if (n > 0)
            {
                var random = new Random(n);
                var prompt = new StringBuilder($"Request {n}. Summarize:");
                for (var i = 0; i < 1900; i++)
                {
                    prompt.Append(' ').Append(Word(random));
                }

                using var response = await http.PostAsJsonAsync("/v1/chat/completions",
                    new { model, messages = new[] { new { role = "user", content = prompt.ToString() } }, max_tokens = 1 });
                response.EnsureSuccessStatusCode();
            }

            var (_, pid) = await gateway.ReadyAsync();
            var rss = pid is { } p ? Rss(p) : 0;
            csv.AppendLine(CultureInfo.InvariantCulture, $"{n},{rss}");
            if (n % 25 == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n,4} prompts: llama-server {rss / 1048576.0:F0} MiB"));
            }
        }

        await File.WriteAllTextAsync(Arg("--csv"), csv.ToString());
        return 0;
    }

    /// <summary>plot-bound LABEL=CSV... --png PATH: RSS against prompts, one curve per run.</summary>
    public static int Plot(string[] args)
    {
        var plot = new ScottPlot.Plot();
        var png = args[Array.IndexOf(args, "--png") + 1];
        foreach (var run in args.Where(a => a.Contains('=', StringComparison.Ordinal)))
        {
            var (label, path) = (run[..run.IndexOf('=', StringComparison.Ordinal)], run[(run.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            var rows = File.ReadAllLines(path).Skip(1).Select(l => l.Split(',')).ToArray();
            plot.Add.ScatterLine(rows.Select(r => double.Parse(r[0], CultureInfo.InvariantCulture)).ToArray(),
                rows.Select(r => double.Parse(r[1], CultureInfo.InvariantCulture) / 1048576.0).ToArray()).LegendText = label;
        }

        plot.Title("llama-server's RSS against distinct ~2,000-token prompts (tiny model)");
        plot.XLabel("prompts");
        plot.YLabel("MiB");
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(png, 1000, 600);
        return 0;
    }

    private static readonly string[] Words = ["river", "stone", "window", "garden", "silver", "market", "winter", "paper", "engine", "forest", "yellow", "bridge", "the", "and", "under", "over"];

    private static string Word(Random random) => Words[random.Next(Words.Length)];

    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
