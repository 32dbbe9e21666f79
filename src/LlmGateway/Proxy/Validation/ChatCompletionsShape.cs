using System.Text.Json;

namespace LlmGateway.Proxy.Validation;

/// <summary>The body of POST /v1/chat/completions, after the OpenAI API reference.</summary>
internal static class ChatCompletionsShape
{
    /// <summary>OpenAI's rule for function names, which llama-server's chat templates and tool-call parsers rely on.</summary>
    private const string FunctionName = "^[a-zA-Z0-9_-]{1,64}$";

    private static readonly ObjectShape TextPart = new(new Field("text", new StringShape(), Required: true));

    private static readonly ObjectShape ImagePart = new(new Field("image_url", new ObjectShape(
        new Field("url", new StringShape(MinLength: 1), Required: true),
        new Field("detail", new EnumShape("auto", "low", "high"))), Required: true));

    private static readonly ObjectShape AudioPart = new(new Field("input_audio", new ObjectShape(
        new Field("data", new StringShape(), Required: true),
        new Field("format", new EnumShape("wav", "mp3"), Required: true)), Required: true));

    private static readonly ObjectShape FilePart = new(new Field("file", new ObjectShape(
        new Field("file_data", new StringShape()),
        new Field("file_id", new StringShape()),
        new Field("filename", new StringShape())), Required: true));

    private static readonly ObjectShape RefusalPart = new(new Field("refusal", new StringShape(), Required: true));

    private static OneOfShape Content(params (string, ObjectShape)[] parts) =>
        new(new StringShape(), new ArrayShape(new TaggedShape("type", parts), MinItems: 1));

    private static readonly OneOfShape TextContent = Content(("text", TextPart));

    private static readonly ObjectShape ToolCall = new(
        new Field("id", new StringShape(), Required: true),
        new Field("type", new EnumShape("function"), Required: true),
        new Field("function", new ObjectShape(
            new Field("name", new StringShape(), Required: true),
            new Field("arguments", new StringShape(), Required: true)), Required: true));

    private static readonly ObjectShape FunctionCall = new(
        new Field("name", new StringShape(), Required: true),
        new Field("arguments", new StringShape(), Required: true));

    private static readonly ObjectShape Assistant = new ObjectShape(
        new Field("content", Content(("text", TextPart), ("refusal", RefusalPart))),
        new Field("refusal", new StringShape()),
        new Field("name", new StringShape()),
        new Field("tool_calls", new ArrayShape(ToolCall)),
        new Field("function_call", FunctionCall),
        new Field("audio", new ObjectShape(new Field("id", new StringShape(), Required: true))))
    {
        Rules =
        [
            new("An assistant message has content, tool_calls or function_call.", (message, path) =>
                ObjectShape.Member(message, "content") is null && ObjectShape.Member(message, "tool_calls") is null && ObjectShape.Member(message, "function_call") is null
                    ? new RequestProblem(RequestProblem.Member(path, "content"), $"'{RequestProblem.Member(path, "content")}' is required unless 'tool_calls' or 'function_call' is given.", "missing_required_parameter")
                    : null),
        ],
    };

    private static readonly TaggedShape Message = new("role",
        ("system", new ObjectShape(new Field("content", TextContent, Required: true), new Field("name", new StringShape()))),
        ("developer", new ObjectShape(new Field("content", TextContent, Required: true), new Field("name", new StringShape()))),
        ("user", new ObjectShape(
            new Field("content", Content(("text", TextPart), ("image_url", ImagePart), ("input_audio", AudioPart), ("file", FilePart)), Required: true),
            new Field("name", new StringShape()))),
        ("assistant", Assistant),
        ("tool", new ObjectShape(new Field("content", TextContent, Required: true), new Field("tool_call_id", new StringShape(), Required: true))),
        ("function", new ObjectShape(new Field("content", new StringShape(), Required: true), new Field("name", new StringShape(), Required: true))));

    private static readonly ObjectShape FunctionDefinition = new(
        new Field("name", new StringShape(Pattern: FunctionName), Required: true),
        new Field("description", new StringShape()),
        new Field("parameters", new ObjectShape { Description = "A JSON Schema object." }),
        new Field("strict", new BooleanShape()));

    private static readonly ObjectShape Tool = new(
        new Field("type", new EnumShape("function"), Required: true),
        new Field("function", FunctionDefinition, Required: true));

    private static readonly OneOfShape ToolChoice = new(
        new EnumShape("none", "auto", "required"),
        new ObjectShape(
            new Field("type", new EnumShape("function"), Required: true),
            new Field("function", new ObjectShape(new Field("name", new StringShape(Pattern: FunctionName), Required: true)), Required: true)));

    private static readonly TaggedShape ResponseFormat = new("type",
        ("text", new ObjectShape()),
        ("json_object", new ObjectShape()),
        ("json_schema", new ObjectShape(new Field("json_schema", new ObjectShape(
            new Field("name", new StringShape(Pattern: FunctionName), Required: true),
            new Field("description", new StringShape()),
            new Field("schema", new ObjectShape { Description = "A JSON Schema object." }, Required: true),
            new Field("strict", new BooleanShape())), Required: true))));

    public static readonly ObjectShape Body = new ObjectShape(
    [
        new("messages", new ArrayShape(Message, MinItems: 1), Required: true),
        .. CommonFields.Generation(),
        new("max_completion_tokens", new IntegerShape(1)),
        new("logprobs", new BooleanShape()),
        new("top_logprobs", new IntegerShape(0, 20)),
        new("tools", new ArrayShape(Tool, MaxItems: 128)),
        new("tool_choice", ToolChoice),
        new("parallel_tool_calls", new BooleanShape()),
        new("functions", new ArrayShape(FunctionDefinition, MinItems: 1, MaxItems: 128)),
        new("function_call", new OneOfShape(new EnumShape("none", "auto"), new ObjectShape(new Field("name", new StringShape(Pattern: FunctionName), Required: true)))),
        new("response_format", ResponseFormat),
        new("reasoning_effort", new EnumShape("none", "minimal", "low", "medium", "high")),
        new("verbosity", new EnumShape("low", "medium", "high")),
        new("modalities", new ArrayShape(new EnumShape("text", "audio"))),
        new("store", new BooleanShape()),
        new("metadata", new MapShape("^.{1,64}$", "strings of 1 to 64 characters", new StringShape(MaxLength: 512), MaxProperties: 16)),
        new("service_tier", new EnumShape("auto", "default", "flex", "scale", "priority")),
        new("prompt_cache_key", new StringShape()),
        new("safety_identifier", new StringShape()),
    ])
    {
        Description = "Members not named here pass to llama-server unchecked (top_k, min_p, grammar, ignore_eos ...).",
        Rules =
        [
            CommonFields.OneChoice,
            CommonFields.StreamOptionsNeedStream,
            new("top_logprobs is allowed only with logprobs: true.", (json, _) =>
                ObjectShape.Member(json, "top_logprobs") is not null && !CommonFields.IsTrue(json, "logprobs")
                    ? new RequestProblem("top_logprobs", "'top_logprobs' is allowed only when 'logprobs' is true.", "invalid_value")
                    : null),
            new("tool_choice is allowed only with tools.", (json, _) =>
                ObjectShape.Member(json, "tool_choice") is not null && !(ObjectShape.Member(json, "tools") is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0)
                    ? new RequestProblem("tool_choice", "'tool_choice' is allowed only when 'tools' are given.", "invalid_value")
                    : null),
        ],
    };
}
