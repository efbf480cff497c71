namespace GptOss.Engine.Checkpoints;

/// <summary>A checkpoint folder, file, tensor or config field that cannot be used; the message names which.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);
