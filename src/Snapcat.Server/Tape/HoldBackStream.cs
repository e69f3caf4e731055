namespace Snapcat.Server.Tape;

/// <summary>
/// Passes a tape backup's data on to a volume write stream but keeps the last block back until
/// <see cref="CompleteAsync"/>: the CRC-32C of a backup on tape is only known after its last block is read, and
/// a write stream that received every byte commits the volume (the agent answers 204). Holding the block back
/// means a checksum or length mismatch leaves the body short, so the agent reports the volume incomplete.
/// </summary>
internal sealed class HoldBackStream(Stream inner, long expected, string what) : Stream
{
    private byte[] _held = new byte[ushort.MaxValue];
    private byte[] _spare = new byte[ushort.MaxValue];
    private int _heldLength;
    private long _received;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _received; set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _received += buffer.Length;
        if (_received > expected)
            Throw.Invalid("tape.restore.size", $"{what} holds more than the target volume's {expected} bytes; restore into a volume of the backup's size");
        if (_heldLength > 0) await inner.WriteAsync(_held.AsMemory(0, _heldLength), cancellationToken).ConfigureAwait(false);
        if (_spare.Length < buffer.Length) _spare = new byte[buffer.Length];
        buffer.CopyTo(_spare);
        (_held, _spare) = (_spare, _held);
        _heldLength = buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

#pragma warning disable VSTHRD002 // Stream's synchronous Write contract; the tape writer calls only WriteAsync
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

    /// <summary>Called only after the reader checked length and CRC-32C: releases the last block.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        if (_received != expected)
            Throw.Invalid("tape.restore.size", $"{what} holds {_received} bytes but the target volume has {expected}; restore into a volume of the backup's size");
        if (_heldLength > 0) await inner.WriteAsync(_held.AsMemory(0, _heldLength), ct).ConfigureAwait(false);
        _heldLength = 0;
        await inner.FlushAsync(ct).ConfigureAwait(false);
    }

    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
