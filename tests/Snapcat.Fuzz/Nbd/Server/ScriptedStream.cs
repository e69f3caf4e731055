namespace Snapcat.Fuzz.Nbd.Server;

/// <summary>
/// A duplex stream for fuzzing: reads return the scripted bytes in small, uneven pieces (to exercise
/// partial reads) and then end of stream; writes are counted and discarded.
/// </summary>
internal sealed class ScriptedStream(byte[] script) : Stream
{
    private int _pos;
    private long _written;

    public long BytesWritten => Interlocked.Read(ref _written);

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int left = script.Length - _pos;
        if (left <= 0 || buffer.Length == 0) return 0;
        int n = Math.Min(Math.Min(buffer.Length, left), 1 + (_pos * 7 % 61));
        script.AsSpan(_pos, n).CopyTo(buffer);
        _pos += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Write(byte[] buffer, int offset, int count) => Interlocked.Add(ref _written, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        Interlocked.Add(ref _written, buffer.Length);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
    {
        Interlocked.Add(ref _written, count);
        return Task.CompletedTask;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
