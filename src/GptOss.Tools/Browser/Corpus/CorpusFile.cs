using System.Runtime.InteropServices;
using System.Text;
using GptOss.FileSystem;

namespace GptOss.Tools.Browser.Corpus;

/// <summary>A corpus file's text, or why it was skipped (a clause that follows "it is not indexed: ").</summary>
internal readonly record struct CorpusFileText(string? Text, string? Skipped);

/// <summary>
/// Reads one corpus file, refusing what must not be served or cannot be shown: anything but a regular file (a FIFO
/// would block forever, a device never ends; neither is opened), a hard link whose other names are not all in the
/// corpus (its content may be a file from outside, such as <c>/etc/hostname</c>), a file over the size limit and
/// binary or non-UTF-8 content.
/// </summary>
internal static class CorpusFile
{
    private const string Binary = "it is binary (it holds NUL characters)";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="status">The path's own status, taken when the corpus was listed.</param>
    /// <param name="namesInCorpus">How many corpus paths name the same file as <paramref name="path"/>.</param>
    public static CorpusFileText Read(string path, UnixFileStatus status, int namesInCorpus, long maxBytes)
    {
        if (!status.IsRegular) return Skip($"it is {status.Kind}, not a regular file");
        if (status.Links > namesInCorpus)
            return Skip($"it is a hard link with {status.Links} names, {status.Links - namesInCorpus} of them not a corpus document, so its content may come from outside the corpus");
        if (status.Size > maxBytes) return Skip($"it is {status.Size} bytes, over the size limit of {maxBytes} bytes (Tools:Browser:MaxDocumentBytes)");
        using var handle = UnixFileStatus.OpenNonBlocking(path);
        if (handle is null) return Skip($"it cannot be opened ({Marshal.GetLastPInvokeErrorMessage()})");
        if (UnixFileStatus.Of(handle) is not { } opened || opened.Identity != status.Identity || !opened.IsRegular)
            return Skip("it was replaced while it was read");
        byte[] bytes;
        try
        {
            using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
            bytes = ReadAtMost(stream, maxBytes + 1);
        }
        catch (IOException e)
        {
            return Skip($"it cannot be read ({e.Message})");
        }
        if (bytes.Length > maxBytes) return Skip($"it grew past the size limit of {maxBytes} bytes (Tools:Browser:MaxDocumentBytes)");
        return Decode(bytes);
    }

    private static CorpusFileText Decode(byte[] bytes)
    {
        string text;
        try
        {
            // Byte order marks are honoured (UTF-16 files read as before); without one the bytes must be UTF-8.
            using var reader = new StreamReader(new MemoryStream(bytes), StrictUtf8, detectEncodingFromByteOrderMarks: true);
            text = reader.ReadToEnd();
        }
        catch (DecoderFallbackException)
        {
            return Skip(bytes.AsSpan().Contains((byte)0) ? Binary : "it is not UTF-8 text");
        }
        return text.Contains('\0', StringComparison.Ordinal) ? Skip(Binary) : new CorpusFileText(text, null);
    }

    private static byte[] ReadAtMost(Stream stream, long count)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while (buffer.Length < count && (read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, count - buffer.Length))) > 0)
            buffer.Write(chunk, 0, read);
        return buffer.ToArray();
    }

    private static CorpusFileText Skip(string why) => new(null, why);
}
