using System.Text.Json;

namespace LlmGateway.Proxy.Validation;

/// <summary>Fields and rules that /v1/chat/completions and /v1/completions share, as the OpenAI API reference defines them.</summary>
internal static class CommonFields
{
    /// <summary>Token ids as decimal strings; nine digits at most, as llama-server reads them into an int.</summary>
    public static readonly MapShape LogitBias = new("^(0|[1-9][0-9]{0,8})$", "token ids (decimal strings)", new NumberShape(-100, 100), MaxProperties: 1024);

    public static readonly OneOfShape Stop = new(new StringShape(), new ArrayShape(new StringShape(), MaxItems: 4));

    public static readonly ObjectShape StreamOptions = new(new Field("include_usage", new BooleanShape()), new Field("include_obfuscation", new BooleanShape()));

    /// <summary>The sampling and output fields of both generation endpoints.</summary>
    public static Field[] Generation() =>
    [
        new("model", new StringShape()),
        new("max_tokens", new IntegerShape(1)),
        new("temperature", new NumberShape(0, 2)),
        new("top_p", new NumberShape(0, 1)),
        new("n", new IntegerShape(1, 128)),
        new("presence_penalty", new NumberShape(-2, 2)),
        new("frequency_penalty", new NumberShape(-2, 2)),
        new("logit_bias", LogitBias),
        new("stop", Stop),
        new("seed", new IntegerShape(long.MinValue, long.MaxValue)),
        new("stream", new BooleanShape()),
        new("stream_options", StreamOptions),
        new("user", new StringShape()),
    ];

    public static readonly ObjectRule OneChoice = new(
        "llama-server makes one choice per request: n must be 1.",
        (json, _) => ObjectShape.Member(json, "n") is { } n && n.GetInt64() != 1
            ? RequestProblem.Unsupported("n", "llama-server generates one choice per request: 'n' must be 1 (send several requests instead).")
            : null);

    public static readonly ObjectRule StreamOptionsNeedStream = new(
        "stream_options is allowed only with stream: true.",
        (json, _) => ObjectShape.Member(json, "stream_options") is not null && !IsTrue(json, "stream")
            ? new RequestProblem("stream_options", "'stream_options' is allowed only when 'stream' is true.", "invalid_value")
            : null);

    public static bool IsTrue(JsonElement json, string name) => ObjectShape.Member(json, name)?.ValueKind == JsonValueKind.True;
}
