using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Snapcat.Core.Storage;

namespace Snapcat.Core.Security;

/// <summary>
/// A daemon's audit log: one JSON line per record, appended with O_APPEND and fsynced before
/// <see cref="Append"/> returns.
/// Failure policy: a record that cannot be written or synced throws <see cref="IOException"/>; the caller
/// (the audit middleware) then answers 500 instead of the handler's answer, because an action whose audit line
/// may be lost must not be reported as done. A torn last line (power cut mid-write) is skipped by <see cref="Read"/>, and ended with a newline when the
/// file is opened again so that it does not swallow the next record.
/// O_APPEND makes each write(2) land at the end of the file even when a second process (an old daemon still
/// stopping, an operator's <c>echo &gt;&gt;</c>) appends too, so lines never overwrite each other.
/// </summary>
public sealed partial class AuditLogFile : IDisposable
{
    private const int OWronly = 0x1, OCreat = 0x40, OAppend = 0x400, OCloexec = 0x80000;
    private readonly Lock _lock = new();
    private int _fd = -1;

    /// <summary>camelCase, no indentation: one record per line.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public AuditLogFile(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, ReadOnlySpan<byte> buffer, nint count);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    /// <summary>Appends the record as one line and fsyncs the file; thread-safe.</summary>
    public void Append(AuditRecord record)
    {
        byte[] line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(record, Options) + "\n");
        lock (_lock)
        {
            EnsureOpen();
            WriteAll(line);
            if (Fsync(_fd) != 0) throw Fail("fsync of", Marshal.GetLastPInvokeError());
        }
    }

    private void WriteAll(ReadOnlySpan<byte> rest)
    {
        while (!rest.IsEmpty)
        {
            nint n = Write(_fd, rest, rest.Length);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == 4) continue;  // EINTR
                throw Fail("write to", errno);
            }
            rest = rest[(int)n..];
        }
    }

    private static bool EndsWithNewline(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (f.Length == 0) return true;
        f.Seek(-1, SeekOrigin.End);
        return f.ReadByte() == '\n';
    }

    private void EnsureOpen()
    {
        if (_fd >= 0) return;
        string dir = System.IO.Path.GetDirectoryName(Path)!;
        DurableFile.CreateDirectory(dir);
        bool existed = File.Exists(Path);
        int fd = Open(Path, OWronly | OCreat | OAppend | OCloexec, 0b110_000_000);  // 0600: it names principals and targets
        if (fd < 0) throw Fail("open of", Marshal.GetLastPInvokeError());
        _fd = fd;
        // A line torn by a crash has no newline: end it, or the next record would be glued to it and lost too.
        if (existed && !EndsWithNewline(Path)) WriteAll("\n"u8);
        // A new file's directory entry is only durable after the directory's fsync: without it the
        // first lines could be synced into a file that a crash leaves without a name.
        if (!existed) DurableFile.SyncDirectory(dir);
    }

    private IOException Fail(string what, int errno) =>
        new($"audit log {Path}: {what} the file failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})", new Win32Exception(errno));

    /// <summary>The records of an audit log at or after <paramref name="since"/>; lines that are not records (a torn last line) are skipped.</summary>
    public static IReadOnlyList<AuditRecord> Read(string path, DateTimeOffset? since = null)
    {
        var result = new List<AuditRecord>();
        if (!File.Exists(path)) return result;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            AuditRecord? r;
            try
            {
                r = JsonSerializer.Deserialize<AuditRecord>(line, Options);
            }
            catch (JsonException)
            {
                continue;
            }
            if (r is not null && (since is null || r.Time >= since)) result.Add(r);
        }
        return result;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_fd >= 0) _ = Close(_fd);
            _fd = -1;
        }
    }
}
