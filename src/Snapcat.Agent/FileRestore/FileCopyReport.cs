namespace Snapcat.Agent.FileRestore;

public enum CopiedKind
{
    File,
    Directory,
    Symlink,
    /// <summary>FIFO, socket or device node: selected, reported as skipped, never copied.</summary>
    Other,
}

public sealed record CopiedEntry(string Path, CopiedKind Kind, long Bytes);

/// <summary>What a file restore copied, what it skipped and why, and which requests matched nothing.</summary>
public sealed record FileCopyReport(
    IReadOnlyList<CopiedEntry> Copied,
    IReadOnlyList<string> Skipped,
    IReadOnlyList<string> Failed,
    IReadOnlyList<string> NotMatched)
{
    public long TotalBytes => Copied.Sum(c => c.Bytes);
    public bool Complete => Failed.Count == 0 && NotMatched.Count == 0;
}
