namespace LlmGateway.Cli.Report;

/// <summary>How the scorecard is written.</summary>
public enum OutputFormat
{
    Table,
    Markdown,
    Json,
    Csv,
}
