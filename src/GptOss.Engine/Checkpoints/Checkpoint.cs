using System.Text.Json;
using TorchSharp;

namespace GptOss.Engine.Checkpoints;

/// <summary>
/// A checkpoint folder opened for reading: its config, its memory-mapped safetensors files and where each tensor
/// lives. Tensors come out as zero-copy views over the mapping, so the folder must stay open while they are used.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    private readonly Dictionary<string, (SafetensorsFile File, SafetensorsEntry Entry)> _tensors;

    public string Directory { get; }
    public ModelConfig Config { get; }
    public CheckpointLayout Layout { get; }
    public IReadOnlyList<SafetensorsFile> Files { get; }
    public IReadOnlyCollection<SafetensorsEntry> Entries => _tensors.Values.Select(t => t.Entry).ToArray();

    private Checkpoint(string directory, ModelConfig config, CheckpointLayout layout, IReadOnlyList<SafetensorsFile> files,
        Dictionary<string, (SafetensorsFile, SafetensorsEntry)> tensors)
    {
        Directory = directory; Config = config; Layout = layout; Files = files; _tensors = tensors;
    }

    /// <summary>
    /// Opens <paramref name="directory"/>: a Hugging Face folder (sharded or not) or an OpenAI <c>original/</c> folder;
    /// a folder holding only <c>original/</c> opens that.
    /// </summary>
    public static Checkpoint Open(string directory)
    {
        directory = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new CheckpointException($"{directory}: checkpoint folder not found");
        if (!System.IO.Directory.EnumerateFiles(directory, "*.safetensors").Any() && System.IO.Directory.Exists(Path.Combine(directory, "original")))
            directory = Path.Combine(directory, "original");

        var config = ModelConfigReader.Read(Path.Combine(directory, "config.json"));
        var files = new List<SafetensorsFile>();
        try
        {
            var tensors = new Dictionary<string, (SafetensorsFile, SafetensorsEntry)>(StringComparer.Ordinal);
            var index = ReadIndex(directory);
            var fileNames = index?.Values.Distinct().Order(StringComparer.Ordinal).ToList()
                ?? System.IO.Directory.EnumerateFiles(directory, "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;
            if (fileNames.Count == 0)
                throw new CheckpointException($"{directory}: no *.safetensors files");
            foreach (var name in fileNames)
            {
                var file = SafetensorsFile.Open(Path.Combine(directory, name!));
                files.Add(file);
                foreach (var entry in file.Tensors.Values)
                {
                    if (tensors.TryGetValue(entry.Name, out var other))
                        throw new CheckpointException($"{file.Path}: tensor '{entry.Name}' is also in {other.Item1.Path}");
                    tensors[entry.Name] = (file, entry);
                }
            }
            if (index is not null)
                foreach (var (name, fileName) in index)
                    if (!tensors.TryGetValue(name, out var where) || Path.GetFileName(where.Item1.Path) != fileName)
                        throw new CheckpointException($"{Path.Combine(directory, IndexFileName)}: tensor '{name}' is mapped to {fileName} but that file does not hold it");

            var layout = tensors.ContainsKey("model.embed_tokens.weight") ? CheckpointLayout.HuggingFace
                : tensors.ContainsKey("embedding.weight") ? CheckpointLayout.Original
                : throw new CheckpointException($"{directory}: neither 'model.embed_tokens.weight' (Hugging Face) nor 'embedding.weight' (OpenAI original) found; not a gpt-oss checkpoint");
            return new Checkpoint(directory, config, layout, files, tensors);
        }
        catch
        {
            foreach (var file in files) file.Dispose();
            throw;
        }
    }

    public const string IndexFileName = "model.safetensors.index.json";

    private static Dictionary<string, string>? ReadIndex(string directory)
    {
        var path = Path.Combine(directory, IndexFileName);
        if (!File.Exists(path)) return null;
        CheckpointFile.RegularLength(path, "index file");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointException($"{path}: missing field 'weight_map'");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in map.EnumerateObject())
            {
                var file = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw new CheckpointException($"{path}: field 'weight_map.{p.Name}' is not a file name");
                if (file.Contains('/') || file.Contains('\\') || file == "..")
                    throw new CheckpointException($"{path}: field 'weight_map.{p.Name}' names '{file}', which is not a file in this folder");
                result[p.Name] = file;
            }
            return result;
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>
    /// A zero-copy CPU tensor over tensor <paramref name="name"/>, after checking its dtype and shape against what the
    /// config implies. Safetensors dtypes: "BF16" or "U8".
    /// </summary>
    public torch.Tensor Read(string name, string dtype, params long[] shape)
    {
        if (!_tensors.TryGetValue(name, out var t))
            throw new CheckpointException($"{Directory}: tensor '{name}' is missing");
        var (file, entry) = t;
        if (entry.DType != dtype || !entry.Shape.SequenceEqual(shape))
            throw new CheckpointException(
                $"{file.Path}: tensor '{name}' is {entry.DType} [{string.Join(", ", entry.Shape)}], expected {dtype} [{string.Join(", ", shape)}] for this config");
        var type = dtype switch
        {
            "BF16" => torch.ScalarType.BFloat16,
            "U8" => torch.ScalarType.Byte,
            _ => throw new ArgumentException($"unsupported dtype {dtype}", nameof(dtype)),
        };
        return MappedTensor.View(file.AddressOf(entry), shape, type);
    }

    public void Dispose()
    {
        foreach (var file in Files) file.Dispose();
    }
}
