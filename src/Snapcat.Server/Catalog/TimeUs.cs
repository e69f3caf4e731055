namespace Snapcat.Server.Catalog;

/// <summary>Catalog times are microseconds since 1970 UTC, the unit of the volume information record.</summary>
internal static class TimeUs
{
    public static long From(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset To(long us) => DateTimeOffset.UnixEpoch.AddTicks(us * 10);
}
