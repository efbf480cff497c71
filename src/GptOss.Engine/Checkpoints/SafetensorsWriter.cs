using System.Text;
using System.Text.Json;

namespace GptOss.Engine.Checkpoints;

/// <summary>A tensor to write: its name, dtype, shape, and how to fill a byte range of its data.</summary>
public sealed record TensorToWrite(string Name, string DType, long[] Shape, Action<long, Span<byte>> Fill)
{
    public long ByteLength => Shape.Aggregate((long)SafetensorsFile.ElementSize(DType), (a, b) => a * b);
}

/// <summary>Writes a safetensors file, streaming each tensor's bytes in large chunks filled in parallel.</summary>
public static class SafetensorsWriter
{
    private const int ChunkBytes = 8 << 20;
    private const int ChunksPerWrite = 8;

    public static void Write(string path, IReadOnlyList<TensorToWrite> tensors)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        long offset = 0;
        foreach (var t in tensors)
        {
            header[t.Name] = new { dtype = t.DType, shape = t.Shape, data_offsets = new[] { offset, offset + t.ByteLength } };
            offset += t.ByteLength;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int padded = (json.Length + 8 + 7) / 8 * 8 - 8;   // data starts 8-aligned, as the safetensors library writes it
        var headerBytes = new byte[8 + padded];
        BitConverter.TryWriteBytes(headerBytes.AsSpan(0, 8), (ulong)padded);
        json.CopyTo(headerBytes, 8);
        headerBytes.AsSpan(8 + json.Length).Fill((byte)' ');

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        stream.SetLength(headerBytes.Length + offset);
        stream.Write(headerBytes);
        var buffer = new byte[(long)ChunkBytes * ChunksPerWrite];
        foreach (var t in tensors)
        {
            for (long done = 0; done < t.ByteLength;)
            {
                int length = (int)Math.Min(buffer.Length, t.ByteLength - done);
                long start = done;
                Parallel.For(0, (length + ChunkBytes - 1) / ChunkBytes, c =>
                {
                    int from = c * ChunkBytes;
                    t.Fill(start + from, buffer.AsSpan(from, Math.Min(ChunkBytes, length - from)));
                });
                stream.Write(buffer, 0, length);
                done += length;
            }
        }
    }
}
