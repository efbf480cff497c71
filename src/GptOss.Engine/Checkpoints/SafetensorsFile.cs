using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace GptOss.Engine.Checkpoints;

/// <summary>One tensor as a safetensors header describes it; offsets are relative to the data section.</summary>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>
/// A safetensors file mapped read-only into memory. The header is validated in full on open (offsets inside the
/// data section, no overlaps, sizes equal to dtype × shape) so every later view over the mapping is in bounds.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private const long MaxHeaderBytes = 100L << 20;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;

    public string Path { get; }
    public long Length { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Tensors { get; }
    private long DataOffset { get; }

    private SafetensorsFile(string path, long length, MemoryMappedFile file, MemoryMappedViewAccessor view, byte* @base,
        long dataOffset, IReadOnlyDictionary<string, SafetensorsEntry> tensors)
    {
        Path = path; Length = length; _file = file; _view = view; _base = @base; DataOffset = dataOffset; Tensors = tensors;
    }

    public static SafetensorsFile Open(string path)
    {
        long length = CheckpointFile.RegularLength(path, "safetensors file");
        if (length < 8)
            throw new CheckpointException($"{path}: truncated safetensors file ({length} bytes, shorter than the 8-byte header length)");
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        try
        {
            byte* @base = pointer + view.PointerOffset;
            HugePages.Advise(@base, length);
            HugePages.Refresh(@base, length, path);
            ulong headerLength = *(ulong*)@base;
            if (headerLength > (ulong)(length - 8) || headerLength > MaxHeaderBytes)
                throw new CheckpointException($"{path}: header length {headerLength} exceeds the file ({length} bytes); truncated or not a safetensors file");
            long dataOffset = 8 + (long)headerLength;
            var tensors = ParseHeader(path, new ReadOnlySpan<byte>(@base + 8, (int)headerLength), length - dataOffset);
            return new SafetensorsFile(path, length, file, view, @base, dataOffset, tensors);
        }
        catch
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Address of a tensor's first byte inside the mapping (valid until this file is disposed).</summary>
    public IntPtr AddressOf(SafetensorsEntry entry) => (IntPtr)(_base + DataOffset + entry.Begin);

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    public static int ElementSize(string dtype) => dtype switch
    {
        "BOOL" or "U8" or "I8" or "F8_E4M3" or "F8_E5M2" => 1,
        "BF16" or "F16" or "I16" or "U16" => 2,
        "F32" or "I32" or "U32" => 4,
        "F64" or "I64" or "U64" => 8,
        _ => 0,
    };

    private static Dictionary<string, SafetensorsEntry> ParseHeader(string path, ReadOnlySpan<byte> header, long dataLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: corrupt safetensors header (invalid JSON: {e.Message})", e);
        }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new CheckpointException($"{path}: corrupt safetensors header (not a JSON object)");

        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__") continue;
            var entry = ParseEntry(path, property, dataLength);
            if (!entries.TryAdd(entry.Name, entry))
                throw new CheckpointException($"{path}: tensor '{entry.Name}' appears twice in the header");
        }
        SafetensorsEntry? previous = null;
        foreach (var entry in entries.Values.Where(e => e.ByteLength > 0).OrderBy(e => e.Begin))
        {
            if (previous is not null && entry.Begin < previous.End)
                throw new CheckpointException(
                    $"{path}: tensor '{entry.Name}' data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{previous.Name}' [{previous.Begin}, {previous.End}]");
            previous = entry;
        }
        return entries;
    }

    private static SafetensorsEntry ParseEntry(string path, JsonProperty property, long dataLength)
    {
        string name = property.Name;
        CheckpointException Bad(string why) => new($"{path}: tensor '{name}': {why}");
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad("header entry is not an object");
        if (!value.TryGetProperty("dtype", out var dtypeNode) || dtypeNode.ValueKind != JsonValueKind.String)
            throw Bad("missing 'dtype'");
        string dtype = dtypeNode.GetString()!;
        int elementSize = ElementSize(dtype);
        if (elementSize == 0)
            throw Bad($"unknown dtype '{dtype}'");
        if (!value.TryGetProperty("shape", out var shapeNode) || shapeNode.ValueKind != JsonValueKind.Array)
            throw Bad("missing 'shape'");
        var shape = new long[shapeNode.GetArrayLength()];
        int i = 0;
        foreach (var dim in shapeNode.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out shape[i]) || shape[i] < 0)
                throw Bad($"shape[{i}] is not a non-negative integer");
            i++;
        }
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
            throw Bad("'data_offsets' must be two integers");
        if (begin < 0 || end < begin)
            throw Bad($"data_offsets [{begin}, {end}] are not an increasing pair of non-negative offsets");
        if (end > dataLength)
            throw Bad($"data_offsets [{begin}, {end}] run past the end of the data section ({dataLength} bytes); the file is truncated or the header is wrong");
        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * elementSize);
        }
        catch (OverflowException)
        {
            throw Bad($"shape [{string.Join(", ", shape)}] is too large");
        }
        if (end - begin != expected)
            throw Bad($"data_offsets [{begin}, {end}] hold {end - begin} bytes but {dtype} [{string.Join(", ", shape)}] needs {expected}");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }
}
