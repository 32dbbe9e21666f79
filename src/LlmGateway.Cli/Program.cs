namespace LlmGateway.Cli;

/// <summary>The entry point; a named class rather than top-level statements, as llmgw-model's Program is visible here too.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => LlmgwApp.Create().RunAsync(args);
}
