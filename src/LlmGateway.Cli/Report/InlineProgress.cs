namespace LlmGateway.Cli.Report;

/// <summary>
/// Reports progress on the reporting thread. Progress&lt;T&gt; posts to the thread pool instead, where an update could land
/// after the progress display has ended.
/// </summary>
public sealed class InlineProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
