using CliWrap;

namespace LlmGateway.Containment;

/// <summary>Runs a <see cref="ProcessSpec"/> with CliWrap: piped output line by line, graceful cancellation as SIGINT.</summary>
public sealed class CliWrapProcessRunner : IProcessRunner
{
    public RunningProcess Start(ProcessSpec spec, CancellationToken forceful, CancellationToken graceful)
    {
        var output = spec.OnOutputLine is { } line ? PipeTarget.ToDelegate(line) : PipeTarget.Null;
        var command = Cli.Wrap(spec.Executable)
            .WithArguments(spec.Arguments)
            .WithStandardOutputPipe(output)
            .WithStandardErrorPipe(output)
            .WithValidation(CommandResultValidation.None);
        if (spec.HoldStandardInput)
        {
            command = command.WithStandardInputPipe(PipeSource.Create(HoldOpenAsync));
        }

        var run = command.ExecuteAsync(forceful, graceful);
        return new RunningProcess(run.ProcessId, ExitAsync(run));
    }

    private static async Task<ProcessExit> ExitAsync(CommandTask<CommandResult> run)
    {
        var result = await run;
        return new ProcessExit(result.ExitCode, result.RunTime);
    }

    /// <summary>Kept open and silent for the process's whole life; CliWrap closes it when the process exits.</summary>
    private static async Task HoldOpenAsync(Stream stdin, CancellationToken ct)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
            // The process exited.
        }
    }
}
