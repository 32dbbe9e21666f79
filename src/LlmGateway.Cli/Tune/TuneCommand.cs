using LlmGateway.Cli.Report;
using LlmGateway.Cli.Workloads;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Tune;

/// <summary>llmgw tune: searches the gateway's settings for the ones meeting every target with the lowest p95 latency.</summary>
public sealed class TuneCommand : AsyncCommand<TuneSettings>
{
    private readonly IAnsiConsole console = AnsiConsole.Console;
    private readonly IAnsiConsole status = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    public override async Task<int> ExecuteAsync(CommandContext context, TuneSettings settings, CancellationToken cancellationToken)
    {
        Workload workload;
        ArrivalPattern arrival;
        try
        {
            (workload, arrival) = settings.ReadWorkload();
        }
        catch (WorkloadFormatException e)
        {
            status.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 2;
        }

        var dll = settings.Gateway ?? Environment.GetEnvironmentVariable("LLMGW_GATEWAY_DLL") ?? DefaultGatewayDll();
        if (dll is null || !File.Exists(dll))
        {
            status.MarkupLineInterpolated($"[red]Cannot find the gateway ({dll ?? "no checkout found"}): build src/LlmGateway -c Release, or give --gateway DLL.[/]");
            return 2;
        }

        // Ctrl-C ends the search after keeping what was measured (each result is in the results file as it lands).
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true;
            interrupt.Cancel();
        }

        Console.CancelKeyPress += OnCancel;
        try
        {
            var targets = settings.Targets;
            var report = new ReportOptions(
                new Uri("http://127.0.0.1/"), workload, arrival, TimeSpan.FromSeconds(settings.IdleSeconds), Foreground: false, targets,
                Environment.GetEnvironmentVariable("LLMGW_API_KEY"), settings.Seed, TimeSpan.FromSeconds(settings.TimeoutSeconds));
            var resumed = ResultsFile.Read(settings.Results);
            if (resumed.Count > 0)
            {
                status.MarkupLineInterpolated($"resuming: {resumed.Count} candidates already in {settings.Results}");
            }

            TuneOutcome outcome = null!;
            await status.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var run = 0;
                    ProgressTask? current = null;
                    var phases = new InlineProgress<ReportPhase>(phase =>
                    {
                        lock (progress)
                        {
                            current ??= progress.AddTask("starting");
                            current.Description = Markup.Escape($"candidate {run + 1}: {phase.Phase}");
                            current.MaxValue = Math.Max(phase.Total, 1e-9);
                            current.Value = phase.Done;
                        }
                    });
                    var runner = new GatewayCandidateRunner(dll, report, phases, TimeSpan.FromSeconds(settings.StartTimeoutSeconds), settings.Fixed,
                        TimeSpan.FromSeconds(settings.SettleSeconds));
                    var search = new TuneSearch(runner, targets, workload.Requests.Count, settings.MaxRuns, settings.Grid);
                    outcome = await search.RunAsync(settings.Space(), resumed, result =>
                    {
                        ResultsFile.Append(settings.Results, result);
                        lock (progress)
                        {
                            run++;
                            current?.StopTask();
                            current = progress.AddTask(Markup.Escape($"candidate {run}: {result.Candidate.Key} → {result.Status}, p95 {result.P95Seconds?.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) ?? "-"} s"), maxValue: 1);
                            current.Value = 1;
                            current.StopTask();
                            current = null;
                        }
                    }, interrupt.Token);
                });

            console.Write(TuneTable.Candidates(outcome));
            console.Write(TuneTable.Front(outcome));
            var png = Path.ChangeExtension(Path.GetFullPath(settings.Results), ".pareto.png");
            ParetoPlot.Save(outcome, targets, png);
            var cpuPng = Path.ChangeExtension(Path.GetFullPath(settings.Results), ".cpu.png");
            CpuPlot.Save(outcome, targets, cpuPng);
            var markdown = Path.ChangeExtension(Path.GetFullPath(settings.Results), ".md");
            await File.WriteAllTextAsync(markdown, TuneMarkdown.Write(outcome, targets, Path.GetFileName(png), Path.GetFileName(cpuPng)), CancellationToken.None);
            console.MarkupLineInterpolated($"plots: {png}, {cpuPng}; tables as Markdown: {markdown}");
            TuneTable.Summary(console, outcome, targets);
            if (outcome.Winner is { } winner && settings.Write is { } write)
            {
                SettingsWriter.Write(winner.Candidate, write);
                console.MarkupLineInterpolated($"wrote the winner's settings to {write}");
            }

            // 0: a winner; 3: none met every target; 130: interrupted (Ctrl-C), as a shell reports SIGINT.
            return outcome.Interrupted ? 130 : outcome.Winner is null ? 3 : 0;
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TimeoutException)
        {
            status.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }
    }

    /// <summary>The gateway built in the checkout llmgw was built in (scripts/run.sh builds it there, -c Release).</summary>
    private static string? DefaultGatewayDll()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "src", "LlmGateway", "bin", "Release", "net10.0", "LlmGateway.dll");
            if (File.Exists(dll))
            {
                return dll;
            }
        }

        return null;
    }
}
