namespace Snapcat.Array.ManagementTable;

// Rows as SQLite returns them (INTEGER is Int64); VolumeManager turns them into API shapes.

public sealed class VolumeRecord
{
    public long Number { get; set; }
    public long Size { get; set; }
    public string Kind { get; set; } = VolumeKinds.Volume;
    public long? SourceNumber { get; set; }
    public string Created { get; set; } = "";
    public bool HasVolumeInfo { get; set; }
}

public sealed class AssignmentRecord
{
    public string Port { get; set; } = "";
    public long Lun { get; set; }
    public long Volume { get; set; }
    public bool ReadOnly { get; set; }

    /// <summary>Column allowed_identities: a JSON array of TLS identities, or null for an unmasked LUN.</summary>
    public string? AllowedIdentitiesJson { get; set; }

    /// <summary>The identities that may open this LUN over NBD; null when anyone reaching the port may.</summary>
    public IReadOnlyList<string>? AllowedIdentities
    {
        get => AllowedIdentitiesJson is null ? null : System.Text.Json.JsonSerializer.Deserialize<string[]>(AllowedIdentitiesJson);
        set => AllowedIdentitiesJson = value is null ? null : System.Text.Json.JsonSerializer.Serialize(value);
    }

    /// <summary>LUN masking: may a connection with this TLS identity (null: plain or anonymous) open the LUN?</summary>
    public bool Admits(string? identity) =>
        AllowedIdentities is not { } allowed || (identity is not null && allowed.Contains(identity, StringComparer.Ordinal));
}

public sealed class VolumeInfoRecordRow
{
    public long Number { get; set; }
    public long Size { get; set; }
    public string Kind { get; set; } = VolumeKinds.Volume;
    public byte[]? VolumeInfo { get; set; }
}

public sealed class MirrorPairRecord
{
    public long PrimaryVolume { get; set; }
    public long SecondaryVolume { get; set; }
}

public static class VolumeKinds
{
    public const string Volume = "volume";
    public const string Snapshot = "snapshot";
}
