using Snapcat.Core.Storage;
using Snapcat.Nbd.Protocol;

namespace Snapcat.Nbd.Client;

/// <summary>
/// A request in flight, waiting for its reply. The reply reader fills <see cref="Buffer"/> (READ) or
/// <see cref="Extents"/> (BLOCK_STATUS) and completes it; the caller awaits <see cref="Task"/>.
/// </summary>
internal sealed class NbdPendingRequest(NbdCommand command, ulong cookie, long offset, uint length, Memory<byte> buffer = default)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Held by the reader while it writes into the caller's buffer, and by Abandon, so a cancelled
    // caller never gets its memory written after it returned.
    private readonly SemaphoreSlim _bufferGate = new(1, 1);
    private bool _abandoned;

    public NbdCommand Command { get; } = command;
    public ulong Cookie { get; } = cookie;
    public long Offset { get; } = offset;
    public uint Length { get; } = length;
    public Memory<byte> Buffer { get; } = buffer;

    /// <summary>Bytes of a structured READ reply covered so far by data and hole chunks.</summary>
    public long Covered { get; set; }

    public List<BlockExtent>? Extents { get; set; }

    public NbdError Error { get; private set; }
    public string? ErrorMessage { get; private set; }

    public Task Task => _done.Task;

    /// <summary>The first error chunk wins; later ones (e.g. more ERROR_OFFSETs) only add detail the caller can't use.</summary>
    public void RecordError(NbdError error, string? message)
    {
        if (Error != NbdError.None) return;
        Error = error;
        ErrorMessage = string.IsNullOrEmpty(message) ? null : message;
    }

    /// <summary>Runs <paramref name="fill"/> on the caller's buffer, or returns false if the caller gave up.</summary>
    public async ValueTask<bool> TryFillAsync(Func<Memory<byte>, ValueTask> fill, long start, int count)
    {
        await _bufferGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_abandoned) return false;
            await fill(Buffer.Slice((int)start, count)).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _bufferGate.Release();
        }
    }

    public async Task AbandonAsync()
    {
        await _bufferGate.WaitAsync().ConfigureAwait(false);
        _abandoned = true;
        _bufferGate.Release();
    }

    public void Complete(NbdAddress address)
    {
        if (Error == NbdError.None)
        {
            _done.TrySetResult();
            return;
        }
        string what = Command is NbdCommand.Flush ? "FLUSH" : $"{Command.ToString().ToUpperInvariant()} of {Length} bytes at offset {Offset}";
        string msg = $"nbd server at {address} failed {what}: {NbdCommandException.Name(Error)}" + (ErrorMessage is null ? "" : $" ({ErrorMessage})");
        _done.TrySetException(new NbdCommandException(Command, Error, msg));
    }

    public void Fail(Exception ex) => _done.TrySetException(ex);
}
