namespace Snapcat.Server.Tape;

/// <summary>
/// Reads exactly <c>size</c> bytes of a volume stream for a tape copy, reporting progress. A stream that ends
/// early throws <c>tape.copy.short_source</c> (so the backup never gets a trailer and reads as incomplete);
/// bytes beyond the size are not read.
/// </summary>
internal sealed class SizedSourceStream(Stream inner, long size, IProgress<long>? progress) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => size;
    public override long Position { get => _read; set => throw new NotSupportedException(); }

#pragma warning disable VSTHRD002 // Stream's synchronous Read contract; the tape writer calls only ReadAsync
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        long left = size - _read;
        if (left == 0 || buffer.Length == 0)
            return 0;
        if (buffer.Length > left)
            buffer = buffer[..(int)left];
        int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (n == 0)
            throw new SnapcatException(ErrorKind.Remote, "tape.copy.short_source",
                $"the volume stream ended after {_read} of {size} bytes; the tape copy is incomplete and was not recorded");
        _read += n;
        progress?.Report(_read);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Counts bytes written to a restore destination and reports them.</summary>
internal sealed class ProgressWriteStream(Stream inner, IProgress<long>? progress) : Stream
{
    private long _written;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _written;
    public override long Position { get => _written; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        _written += buffer.Length;
        progress?.Report(_written);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        _written += buffer.Length;
        progress?.Report(_written);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
