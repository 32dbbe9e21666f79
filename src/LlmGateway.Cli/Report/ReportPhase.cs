namespace LlmGateway.Cli.Report;

/// <summary>Where a report run is: <paramref name="Done"/> of <paramref name="Total"/> steps of <paramref name="Phase"/>.</summary>
public sealed record ReportPhase(string Phase, double Done, double Total);
