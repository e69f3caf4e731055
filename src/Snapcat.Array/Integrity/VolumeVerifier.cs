using System.Diagnostics;
using Snapcat.Array.Volumes;
using Snapcat.Core.Integrity;

namespace Snapcat.Array.Integrity;

/// <summary>
/// Array-side verify and digest import (docs/integrity.md): the volume's data is read here, never sent anywhere.
/// A verify of a volume without a digest seals one (source <c>verify</c>); with one it compares. A mismatch is an
/// answer (Matched=false with the first differing offsets), not an error: the backup server decides what it means.
/// A volume written while it was read is an error (<c>verify.written</c>): neither answer would be true.
/// </summary>
public sealed class VolumeVerifier(VolumeManager volumes, Func<uint, IBlockDevice> openDevice)
{
    public const int MaxDifferingOffsets = 16;
    public const string MismatchCode = "digest.mismatch";

    private DigestStore Store => volumes.Digests;

    public async Task<VolumeVerifyResult> VerifyAsync(uint number, Action<long, long>? progress, CancellationToken ct)
    {
        try
        {
            var result = await RunAsync(number, progress, ct).ConfigureAwait(false);
            Store.Outcomes.Count(result.Sealed ? VerifyOutcomes.Sealed : result.Matched ? VerifyOutcomes.Matched : VerifyOutcomes.Mismatched);
            return result;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Store.Outcomes.Count(VerifyOutcomes.Cancelled);
            throw;
        }
        catch
        {
            Store.Outcomes.Count(VerifyOutcomes.Failed);
            throw;
        }
    }

    private async Task<VolumeVerifyResult> RunAsync(uint number, Action<long, long>? progress, CancellationToken ct)
    {
        var device = openDevice(number);
        var clock = Stopwatch.StartNew();
        var ticket = Store.Begin(number);
        // Loaded before the read: a write during the read drops it, and the ticket says so below.
        var kept = Store.Load(number);
        var computed = await DigestReader.ComputeAsync(device, progress, ct).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;
        if (Store.WrittenSince(ticket)) throw Written(number);
        if (kept is null)
        {
            if (!Store.TrySeal(ticket, computed, DigestStore.SourceVerify)) throw Written(number);
            return new VolumeVerifyResult(number, computed.RootText, null, true, true, computed.Length, seconds, []);
        }
        var expected = kept.Value.Digest;
        bool matched = computed.SameContentAs(expected);
        var differing = matched ? [] : expected.DifferingChunks(computed).Take(MaxDifferingOffsets).Select(c => c * ContentDigest.ChunkSize).ToList();
        return new VolumeVerifyResult(number, computed.RootText, expected.RootText, matched, false, computed.Length, seconds, differing);
    }

    /// <summary>
    /// Checks <paramref name="file"/> (a serialized digest) against the volume's data, read here, and keeps it with
    /// <paramref name="source"/>. Refused: a damaged or foreign file (400 <c>digest.*</c>), another length (400
    /// <c>digest.length</c>), data that differs (409 <c>digest.mismatch</c> naming the first differing offset). A refusal
    /// changes nothing.
    /// </summary>
    public async Task<KeptDigest> ImportAsync(uint number, ReadOnlyMemory<byte> file, string source, CancellationToken ct)
    {
        var given = ContentDigest.Parse(file.Span);
        var device = openDevice(number);
        if (given.Length != device.Size)
            Throw.Invalid("digest.length", $"the digest describes {given.Length} bytes, but volume {number} has {device.Size}; nothing was kept");
        var ticket = Store.Begin(number);
        var computed = await DigestReader.ComputeAsync(device, null, ct).ConfigureAwait(false);
        if (Store.WrittenSince(ticket)) throw Written(number);
        if (!computed.SameContentAs(given))
        {
            long first = given.DifferingChunks(computed).First();
            Throw.Conflict(MismatchCode,
                $"the digest {given.RootText} does not describe volume {number}'s data ({computed.RootText}): the first differing chunk is at offset {first * ContentDigest.ChunkSize}; nothing was kept");
        }
        if (!Store.TrySeal(ticket, given, source)) throw Written(number);
        return Store.Get(number) ?? throw Written(number);
    }

    private static SnapcatException Written(uint number) => new(ErrorKind.Conflict, "verify.written",
        $"volume {number} was written while its data was read, so no digest of it is true; no digest was kept. Stop the writers (or verify a snapshot) and try again");
}

/// <summary>How verifies ended, for the array's <c>/metrics</c> (snapcat_array_verifies_total{outcome}).</summary>
public sealed class VerifyOutcomes
{
    public const string Sealed = "sealed";
    public const string Matched = "matched";
    public const string Mismatched = "mismatched";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlyList<string> All = [Sealed, Matched, Mismatched, Failed, Cancelled];

    private readonly long[] _counts = new long[All.Count];

    public void Count(string outcome) => Interlocked.Increment(ref _counts[IndexOf(outcome)]);

    public long Get(string outcome) => Interlocked.Read(ref _counts[IndexOf(outcome)]);

    private static int IndexOf(string outcome)
    {
        for (int i = 0; i < All.Count; i++)
            if (All[i] == outcome) return i;
        throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "not a verify outcome");
    }
}
