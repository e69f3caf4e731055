using System.Globalization;
using Snapcat.Tape.Cartridge;
using Snapcat.Tape.Labels;

namespace Snapcat.Server.Tape;

/// <summary>
/// The catalog's media ID of a backup on tape: <c>VOLSER/NNNN</c>, the volume serial of the cartridge that
/// holds the backup's management information file and that file's sequence number (docs/tape-format.md),
/// e.g. <c>SC0001/0004</c>. Together with the library ID as device ID it names the backup's place.
/// </summary>
public static class TapeMediaId
{
    public static string Format(TapeFileLocation location) => location.ToString();

    public static TapeFileLocation Parse(string mediaId)
    {
        if (TryParse(mediaId, out var location))
            return location!;
        throw new SnapcatException(ErrorKind.Invalid, "tape.media_id",
            $"'{mediaId}' is not a tape media ID; expected VOLSER/SEQUENCE such as SC0001/0001");
    }

    public static bool TryParse(string? mediaId, out TapeFileLocation? location)
    {
        location = null;
        if (mediaId is null) return false;
        int slash = mediaId.IndexOf('/');
        if (slash < 1) return false;
        string serial = mediaId[..slash];
        try { VolumeLabel.CheckSerial(serial); }
        catch (Exception e) when (e is ArgumentException or SnapcatException) { return false; }
        if (!int.TryParse(mediaId.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int sequence) || sequence < 1)
            return false;
        location = new TapeFileLocation(serial, sequence);
        return true;
    }
}
