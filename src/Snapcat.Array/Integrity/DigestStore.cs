using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Snapcat.Array.Volumes;
using Snapcat.Core.Integrity;

namespace Snapcat.Array.Integrity;

/// <summary>What the array keeps about a volume's valid content digest (the chunk hashes stay in the sidecar file).</summary>
public sealed record KeptDigest(uint Volume, string Root, long Length, string Source, DateTimeOffset SealedAt);

/// <summary>
/// The content digests the array keeps beside its volumes' information (docs/integrity.md), under <c>digests/</c>:
/// <list type="bullet">
/// <item><c>NNNNNN.digest</c>: the digest in <see cref="ContentDigest.Serialize"/>'s self-checking form, byte for byte what
/// <c>GET /v1/volumes/{n}/digest/file</c> returns;</item>
/// <item><c>NNNNNN.seal</c>: a small JSON record of who sealed it and when (source, time, root, length).</item>
/// </list>
/// A digest is valid only while both files exist and name the same root. Durability, each step finished before the next:
/// <list type="bullet">
/// <item>seal: (1) <c>.seal</c> written atomically (temp, fsync, rename, fsync of the directory), (2) <c>.digest</c> the same
/// way. The rename of the <c>.digest</c> file and its directory fsync are the commit: a crash before leaves a <c>.seal</c>
/// alone, or beside an older <c>.digest</c> with another root; both are dropped at start, never reported.</item>
/// <item>stale (any change to the volume): the <c>.digest</c> file is unlinked and the directory fsynced BEFORE the change
/// is let through (<see cref="IVolumeWriteHook.BeforeChangeAsync"/>), then the <c>.seal</c>. After a crash at any point the
/// changed data therefore has no digest: a stale digest is never reported as valid.</item>
/// </list>
/// In memory per volume: the kept digest's summary (what <c>GET /v1/volume-infos</c> reports, no file read), and a write
/// epoch with the writes in flight, so that a digest computed by reading the volume is sealed only when no write started,
/// ran or ended while it was read (<see cref="Ticket"/>).
/// </summary>
public sealed partial class DigestStore
{
    public const string FolderName = "digests";
    public const string SourceCopy = "copy";
    public const string SourceVerify = "verify";
    public const string SourceImport = "import";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _dir;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<uint, VolumeState> _states = new();

    private sealed class VolumeState
    {
        public readonly Lock Gate = new();
        public long Epoch;
        public int InFlight;
        public int Rewriting;
        public KeptDigest? Kept;
    }

    private sealed record SealRecord(string Root, long Length, string Source, DateTimeOffset SealedAt);

    private DigestStore(string dir, ILogger logger)
    {
        _dir = dir;
        _logger = logger;
    }

    /// <summary>The position of the volume's writes when a read began; see <see cref="TrySeal"/>.</summary>
    /// <param name="Rewrite">Held by the copy that rewrites the volume (<see cref="BeginRewrite"/>): its own writes do not count.</param>
    public readonly record struct Ticket(uint Volume, long Epoch, bool Quiet, bool Rewrite = false);

    /// <summary>
    /// Opens the store in <paramref name="dataDirectory"/> for the volumes that exist (<paramref name="known"/>); files of
    /// other numbers (deleted volumes), half-sealed pairs and temporary files are removed.
    /// </summary>
    public static DigestStore Open(string dataDirectory, IReadOnlyCollection<uint> known, ILogger? logger = null)
    {
        string dir = Path.Combine(dataDirectory, FolderName);
        DurableFile.CreateDirectory(dir);
        var store = new DigestStore(dir, logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        store.LoadAll(known.ToHashSet());
        return store;
    }

    /// <summary>How verifies ended since start (the array's metrics).</summary>
    public VerifyOutcomes Outcomes { get; } = new();

    public string DigestPath(uint number) => Path.Combine(_dir, number.ToString("D6", CultureInfo.InvariantCulture) + ".digest");

    private string SealPath(uint number) => Path.Combine(_dir, number.ToString("D6", CultureInfo.InvariantCulture) + ".seal");

    private VolumeState State(uint number) => _states.GetOrAdd(number, _ => new VolumeState());

    /// <summary>The valid digest's summary, or null (none, or stale since).</summary>
    public KeptDigest? Get(uint number)
    {
        var s = State(number);
        lock (s.Gate) return s.Kept;
    }

    /// <summary>The kept digest file's bytes and its parsed form, or null when the volume has no valid digest.</summary>
    public (KeptDigest Kept, ContentDigest Digest, byte[] File)? Load(uint number)
    {
        var s = State(number);
        KeptDigest? kept;
        lock (s.Gate) kept = s.Kept;
        if (kept is null) return null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(DigestPath(number));
        }
        catch (FileNotFoundException)
        {
            return null;  // dropped since: a write came in
        }
        var digest = ContentDigest.Parse(bytes);  // a damaged file is digest.damaged (Invalid) for the caller
        if (!digest.Matches(kept.Root))
            Throw.Internal("digest.damaged", $"the digest file of volume {number} names root {digest.RootText}, but it was sealed as {kept.Root}");
        return (kept, digest, bytes);
    }

    /// <summary>The hook every volume device carries: the first change after a seal drops the digest, durably, before it lands.</summary>
    public IVolumeWriteHook HookFor(uint number) => new StaleHook(this, number);

    /// <summary>Where the volume's writes stand now, for a read that may end in <see cref="TrySeal"/>.</summary>
    public Ticket Begin(uint number)
    {
        var s = State(number);
        lock (s.Gate) return new Ticket(number, s.Epoch, s.InFlight == 0 && s.Rewriting == 0);
    }

    /// <summary>Whether a write started or ended since <paramref name="ticket"/> was taken, or was in flight then.</summary>
    public bool WrittenSince(Ticket ticket)
    {
        var s = State(ticket.Volume);
        lock (s.Gate) return Moved(s, ticket);
    }

    /// <summary>A write started, ran or ended since the ticket, or a copy rewrites the volume (unless the ticket is that copy's).</summary>
    private static bool Moved(VolumeState s, Ticket ticket) =>
        !ticket.Quiet || s.Epoch != ticket.Epoch || s.InFlight != 0 || (s.Rewriting > 0 && !ticket.Rewrite);

    /// <summary>
    /// A copy is about to rewrite the volume through a view without <see cref="HookFor"/>'s hook (so that its own writes do not
    /// count as foreign ones): drops the kept digest durably first, and returns it as <see cref="DigestRewrite.Previous"/> when
    /// it was valid for the volume's content right now (no foreign write in flight), for the copy to reuse the hashes of chunks
    /// it does not copy. Until the rewrite is disposed, no one else seals a digest of the volume (a verify fails
    /// <c>verify.written</c>): what they read is half old, half new.
    /// </summary>
    public DigestRewrite BeginRewrite(uint number)
    {
        var s = State(number);
        lock (s.Gate)
        {
            ContentDigest? previous = null;
            if (s.Kept is not null && s.InFlight == 0 && s.Rewriting == 0)
            {
                try { previous = Load(number)?.Digest; }
                catch (SnapcatException ex) { LogDamaged(number, ex.Message); }
            }
            DropLocked(number, s);
            s.Rewriting++;
            s.Epoch++;
            return new DigestRewrite(this, previous, new Ticket(number, s.Epoch, s.InFlight == 0 && s.Rewriting == 1, Rewrite: true));
        }
    }

    private void EndRewrite(uint number)
    {
        var s = State(number);
        lock (s.Gate)
        {
            s.Rewriting--;
            s.Epoch++;
        }
    }

    /// <summary>A running rewrite of a volume by a copy (see <see cref="BeginRewrite"/>); dispose it when the copy ends.</summary>
    public sealed class DigestRewrite : IDisposable
    {
        private readonly DigestStore _store;
        private int _ended;

        internal DigestRewrite(DigestStore store, ContentDigest? previous, Ticket ticket)
        {
            _store = store;
            Previous = previous;
            Ticket = ticket;
        }

        /// <summary>The digest the volume had at the start, when it was valid for its content then; null otherwise.</summary>
        public ContentDigest? Previous { get; }

        public Ticket Ticket { get; }

        /// <summary>Seals the copy's digest, unless someone else wrote the volume meanwhile.</summary>
        public bool TrySeal(ContentDigest digest, string source) => _ended == 0 && _store.TrySeal(Ticket, digest, source);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0) _store.EndRewrite(Ticket.Volume);
        }
    }

    /// <summary>
    /// Keeps <paramref name="digest"/> as the volume's, unless the volume was written since <paramref name="ticket"/> (then the
    /// digest may describe bytes that are no longer there, and false is returned with nothing kept).
    /// </summary>
    public bool TrySeal(Ticket ticket, ContentDigest digest, string source)
    {
        ArgumentNullException.ThrowIfNull(digest);
        var s = State(ticket.Volume);
        lock (s.Gate)
        {
            if (Moved(s, ticket)) return false;
            var record = new SealRecord(digest.RootText, digest.Length, source, DateTimeOffset.UtcNow);
            // (1) the seal record, (2) the digest file: the second rename is the commit (see the class comment).
            s.Kept = null;
            DurableFile.WriteAtomic(SealPath(ticket.Volume), JsonSerializer.SerializeToUtf8Bytes(record, Json));
            DurableFile.WriteAtomic(DigestPath(ticket.Volume), digest.Serialize());
            s.Kept = new KeptDigest(ticket.Volume, record.Root, record.Length, record.Source, record.SealedAt);
            return true;
        }
    }

    /// <summary>Drops the volume's digest durably (the volume's information was deleted, or its data is about to change).</summary>
    public void Drop(uint number)
    {
        var s = State(number);
        lock (s.Gate) DropLocked(number, s);
    }

    /// <summary>The volume is gone: its digest files and state go too.</summary>
    public void Forget(uint number)
    {
        Drop(number);
        _states.TryRemove(number, out _);
    }

    private void DropLocked(uint number, VolumeState s)
    {
        // Unlink + directory fsync of the .digest file is the durable "no digest"; the .seal file after it is tidying.
        bool had = s.Kept is not null || File.Exists(DigestPath(number));
        s.Kept = null;
        if (!had && !File.Exists(SealPath(number))) return;
        DurableFile.DeleteDurably(DigestPath(number));
        DurableFile.DeleteDurably(SealPath(number));
    }

    private void LoadAll(HashSet<uint> known)
    {
        var removed = 0;
        var numbers = new HashSet<uint>();
        foreach (string f in Directory.EnumerateFiles(_dir).ToList())
        {
            string name = Path.GetFileName(f);
            string stem = Path.GetFileNameWithoutExtension(name);
            string ext = Path.GetExtension(name);
            bool ours = (ext is ".digest" or ".seal")
                && uint.TryParse(stem, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) && known.Contains(n);
            if (ours)
            {
                numbers.Add(uint.Parse(stem, NumberStyles.None, CultureInfo.InvariantCulture));
                continue;
            }
            LogRemoved(f, "no volume of that number, or a temporary file of an interrupted seal");
            File.Delete(f);
            removed++;
        }
        foreach (uint n in numbers)
        {
            string why;
            try
            {
                why = TryLoadSeal(n);
            }
            catch (Exception ex) when (ex is IOException or JsonException or SnapcatException)
            {
                why = ex.Message;
            }
            if (why.Length == 0) continue;
            LogRemoved(DigestPath(n), why);
            File.Delete(DigestPath(n));
            File.Delete(SealPath(n));
            removed++;
        }
        if (removed > 0) DurableFile.SyncDirectory(_dir);
    }

    /// <summary>Loads volume <paramref name="n"/>'s pair of files; "" when they agree, else why they are dropped.</summary>
    private string TryLoadSeal(uint n)
    {
        if (!File.Exists(DigestPath(n))) return "a seal record without its digest file (a seal interrupted before its commit)";
        if (!File.Exists(SealPath(n))) return "a digest file without its seal record";
        var seal = JsonSerializer.Deserialize<SealRecord>(File.ReadAllBytes(SealPath(n)), Json)
            ?? throw new JsonException("an empty seal record");
        // Cheap check at start: the root stored near the file's end (ContentDigest's file form: …, root, checksum).
        using var fs = new FileStream(DigestPath(n), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        long expected = 8 + 2 + 4 + 8 + (ContentDigest.ChunkCountFor(seal.Length) * ContentDigest.HashSize) + (2 * ContentDigest.HashSize);
        if (fs.Length != expected) return $"the digest file is {fs.Length} bytes; a digest of {seal.Length} bytes is {expected}";
        var root = new byte[ContentDigest.HashSize];
        fs.Seek(-2 * ContentDigest.HashSize, SeekOrigin.End);
        fs.ReadExactly(root);
        string text = ContentDigest.RootPrefix + Convert.ToHexStringLower(root);
        if (text != seal.Root) return $"the digest file's root {text} is not the sealed one {seal.Root} (a re-seal interrupted before its commit)";
        State(n).Kept = new KeptDigest(n, seal.Root, seal.Length, seal.Source, seal.SealedAt);
        return "";
    }

    private sealed class StaleHook(DigestStore store, uint number) : IVolumeWriteHook
    {
        public ValueTask<IDisposable?> BeforeChangeAsync(long offset, long length, CancellationToken ct)
        {
            var s = store.State(number);
            lock (s.Gate)
            {
                s.Epoch++;
                s.InFlight++;
                try
                {
                    // Durably gone before the change may land (see the class comment).
                    if (s.Kept is not null) store.DropLocked(number, s);
                }
                catch
                {
                    s.InFlight--;
                    throw;
                }
            }
            return ValueTask.FromResult<IDisposable?>(new Ended(s));
        }

        public ValueTask BeforeFlushAsync(CancellationToken ct) => ValueTask.CompletedTask;
    }

    private sealed class Ended(VolumeState s) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            lock (s.Gate)
            {
                s.InFlight--;
                s.Epoch++;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "removed digest file {Path}: {Reason}")]
    private partial void LogRemoved(string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the kept digest of volume {Number} could not be read ({Reason}); the copy computes every chunk's hash from the data")]
    private partial void LogDamaged(uint number, string reason);
}
