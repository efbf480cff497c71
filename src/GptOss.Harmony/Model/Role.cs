namespace GptOss.Harmony;

/// <summary>Who wrote a message. Serialized lower-case, as openai/harmony's serde does.</summary>
public enum Role
{
    System,
    Developer,
    User,
    Assistant,
    Tool,
}
