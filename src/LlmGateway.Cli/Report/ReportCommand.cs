using LlmGateway.Cli.Workloads;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LlmGateway.Cli.Report;

/// <summary>llmgw report: replays a workload against a running gateway and prints the scorecard.</summary>
public sealed class ReportCommand : AsyncCommand<ReportSettings>
{
    private readonly IAnsiConsole console = AnsiConsole.Console;

    // Progress goes to stderr, so a scorecard written to stdout (--format json > card.json) is only the scorecard.
    private readonly IAnsiConsole status = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    public override async Task<int> ExecuteAsync(CommandContext context, ReportSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Live)
        {
            using var http = ReportRunner.Client(new Uri(settings.Url), settings.ApiKey ?? Environment.GetEnvironmentVariable("LLMGW_API_KEY"), TimeSpan.FromSeconds(30));
            try
            {
                return await LiveView.RunAsync(http, settings, console, Console.Out, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                status.MarkupLineInterpolated($"[red]GET {settings.Url}/admin/scorecard: {e.Message}[/]");
                return 1;
            }
        }

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

        var options = new ReportOptions(
            new Uri(settings.Url), workload, arrival, TimeSpan.FromSeconds(settings.IdleSeconds), settings.Foreground, settings.Targets,
            settings.ApiKey ?? Environment.GetEnvironmentVariable("LLMGW_API_KEY"), settings.Seed, TimeSpan.FromSeconds(settings.TimeoutSeconds))
        {
            Settle = TimeSpan.FromSeconds(settings.SettleSeconds),
        };

        Scorecard card;
        try
        {
            card = await status.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                    var report = new InlineProgress<ReportPhase>(phase =>
                    {
                        // Requests finish on several threads at once; the phases' tasks are made and moved under one lock.
                        lock (tasks)
                        {
                            if (!tasks.TryGetValue(phase.Phase, out var task))
                            {
                                tasks[phase.Phase] = task = progress.AddTask(phase.Phase, maxValue: Math.Max(phase.Total, 1e-9));
                            }

                            task.Value = Math.Max(task.Value, phase.Done);
                        }
                    });
                    return await ReportRunner.RunAsync(options, report, cancellationToken);
                });
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
        {
            status.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 1;
        }

        if (settings.Out is { } path)
        {
            await using var file = File.CreateText(path);
            ScorecardWriter.Write(card, settings.Format, file);
            status.MarkupLineInterpolated($"wrote {path}: {(card.MeetsTargets ? "meets every target" : "misses a target")}");
        }
        else if (settings.Format == OutputFormat.Table)
        {
            console.Write(ScorecardWriter.Table(card));
        }
        else
        {
            ScorecardWriter.Write(card, settings.Format, Console.Out);
        }

        // 0 when every target is met, 3 when one is missed (1 and 2 are errors), so scripts and CI can gate on it.
        return card.MeetsTargets ? 0 : 3;
    }
}
