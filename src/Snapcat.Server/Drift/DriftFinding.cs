using System.Security.Cryptography;
using System.Text;

namespace Snapcat.Server.Drift;

/// <summary>
/// One finding as the checker makes it. <see cref="Id"/> comes from kind and target alone (stable across checks);
/// <see cref="Fingerprint"/> from everything both sides said, so a fix can tell the state is still the one found.
/// </summary>
public sealed record DriftFinding(string Kind, string Target, string DeviceId, string? MediaId, long? BackupId, string Catalog, string Storage, string Fix)
{
    public string Id => IdOf(Kind, Target);

    public string Fingerprint => Hash($"{Kind}\n{Target}\n{BackupId}\n{Catalog}\n{Storage}", 16);

    /// <summary><c>D-</c> and 10 hex digits of SHA-256 over kind and target.</summary>
    public static string IdOf(string kind, string target) => "D-" + Hash($"{kind}\n{target}", 5);

    private static string Hash(string text, int bytes) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, bytes));

    public DriftFindingDto ToDto(DateTimeOffset firstSeen, DateTimeOffset lastSeen) =>
        new(Id, Kind, Target, DeviceId, MediaId, BackupId, Catalog, Storage, Fix, firstSeen, lastSeen);
}
