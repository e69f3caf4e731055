using System.Text.Json;

namespace Snapcat.Array.Snapshots;

/// <summary>
/// The list of a source's snapshots, oldest first (<c>snapshots.json</c> in the engine's directory).
/// The order is the copy-on-write chain: preservation always goes to the last entry. Replaced whole
/// with <see cref="DurableFile.WriteAtomic"/>, so a crash leaves either the old or the new list; snapshot
/// files that no list names are leftovers of an interrupted create or delete and are removed on open.
/// </summary>
internal sealed record SnapshotManifest(int Version, long VolumeSize, int ChunkSize, List<SnapshotInfo> Snapshots)
{
    public const string FileName = "snapshots.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static SnapshotManifest? Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        SnapshotManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<SnapshotManifest>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException ex)
        {
            throw new SnapcatException(ErrorKind.Internal, "snapshot.manifest_corrupt", $"the snapshot list {path} is unreadable: {ex.Message}", ex);
        }
        if (m is null || m.Version != 1 || m.Snapshots is null)
            Throw.Internal("snapshot.manifest_corrupt", $"the snapshot list {path} has an unknown format");
        return m;
    }

    public void Save(string directory) =>
        DurableFile.WriteAtomic(Path.Combine(directory, FileName), JsonSerializer.SerializeToUtf8Bytes(this, Json));
}

public sealed record SnapshotInfo(long Id, DateTimeOffset CreatedUtc);
