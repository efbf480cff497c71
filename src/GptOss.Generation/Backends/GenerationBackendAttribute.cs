namespace GptOss.Generation;

/// <summary>
/// Names a backend an assembly provides (a type implementing <see cref="IGenerationBackend"/> with a public
/// parameterless constructor), so a configured kind that nobody registered is still found when the assembly is
/// referenced: an app that references the engine keeps working with just <c>AddGptOssChatCompletion</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class GenerationBackendAttribute(Type backendType) : Attribute
{
    public Type BackendType { get; } = backendType;
}
