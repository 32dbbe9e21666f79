namespace LlmGateway.Proxy.Validation;

/// <summary>The body of POST /v1/completions (legacy), after the OpenAI API reference.</summary>
internal static class CompletionsShape
{
    /// <summary>A prompt as text, texts, token ids, or lists of token ids; llama-server refuses an empty list.</summary>
    public static readonly OneOfShape Prompt = new(
        new StringShape(),
        new ArrayShape(new StringShape(), MinItems: 1),
        new ArrayShape(new IntegerShape(0), MinItems: 1),
        new ArrayShape(new ArrayShape(new IntegerShape(0), MinItems: 1), MinItems: 1));

    public static readonly ObjectShape Body = new ObjectShape(
    [
        new("prompt", Prompt, Required: true),
        .. CommonFields.Generation(),
        new("logprobs", new IntegerShape(0, 5)),
        new("echo", new BooleanShape()),
        new("best_of", new IntegerShape(0, 20)),
        new("suffix", new StringShape()),
    ])
    {
        Description = "Members not named here pass to llama-server unchecked (top_k, min_p, grammar, ignore_eos ...).",
        Rules =
        [
            CommonFields.OneChoice,
            CommonFields.StreamOptionsNeedStream,
            Unsupported("echo", json => CommonFields.IsTrue(json, "echo"), "llama-server cannot echo the prompt: 'echo' must be false."),
            Unsupported("best_of", json => ObjectShape.Member(json, "best_of") is not null, "llama-server has no 'best_of': leave it out."),
            Unsupported("suffix", json => ObjectShape.Member(json, "suffix") is not null, "llama-server has no 'suffix' (insertion): leave it out."),
        ],
    };

    private static ObjectRule Unsupported(string name, Func<System.Text.Json.JsonElement, bool> when, string message) =>
        new(message, (json, _) => when(json) ? RequestProblem.Unsupported(name, message) : null);
}
