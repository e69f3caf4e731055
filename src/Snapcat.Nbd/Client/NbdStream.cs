namespace Snapcat.Nbd.Client;

/// <summary>
/// A seekable <see cref="Stream"/> over a connected export, for code that speaks streams (hashing,
/// CopyTo). Its length is the export size: reads stop at the end, writes past it fail. Flush is
/// NBD_CMD_FLUSH. Disposing the stream leaves the client connected.
/// </summary>
public sealed class NbdStream(NbdClient client) : Stream
{
    private long _position;

    public NbdClient Client { get; } = client;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => !Client.IsReadOnly;
    public override long Length => Client.Size;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        long left = Client.Size - _position;
        if (left <= 0 || buffer.Length == 0) return 0;
        int n = (int)Math.Min(buffer.Length, left);
        await Client.ReadAsync(_position, buffer[..n], cancellationToken).ConfigureAwait(false);
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

#pragma warning disable VSTHRD002 // Stream's synchronous Read/Write/Flush contract; Snapcat itself calls only the async members
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length > Client.Size - _position)
            throw new IOException($"writing {buffer.Length} bytes at {_position} runs past the end of the {Client.Size}-byte export '{Client.ExportName}'; NBD exports cannot grow");
        await Client.WriteAsync(_position, buffer, ct: cancellationToken).ConfigureAwait(false);
        _position += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

#pragma warning disable VSTHRD002 // Stream's synchronous Read/Write/Flush contract; Snapcat itself calls only the async members
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

    public override Task FlushAsync(CancellationToken cancellationToken) => Client.FlushAsync(cancellationToken).AsTask();

#pragma warning disable VSTHRD002 // Stream's synchronous Read/Write/Flush contract; Snapcat itself calls only the async members
    public override void Flush() => Client.FlushAsync().AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => Client.Size + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        if (target < 0) throw new IOException($"cannot seek to {target}, before the start of the export");
        _position = target;
        return target;
    }

    public override void SetLength(long value) => throw new NotSupportedException("an NBD export has a fixed size");
}
