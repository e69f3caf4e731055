using Snapcat.Core.Errors;
using Snapcat.Tape.Drive;
using Snapcat.Tape.Labels;

namespace Snapcat.Tape.Cartridge;

/// <summary>
/// A directory of AWSTAPE images named <c>VOLSER.aws</c>, all with the same capacity. New cartridges get
/// serials <c>prefix + number</c> (e.g. SC0001); new files go to the highest serial until it is closed.
/// </summary>
public sealed class DirectoryCartridgeLibrary : ICartridgeLibrary
{
    public const string Extension = ".aws";
    private readonly string _directory;
    private readonly long _capacity;
    private readonly string _prefix;

    public DirectoryCartridgeLibrary(string directory, long capacityBytes, string serialPrefix = "SC", string owner = "SNAPCAT")
    {
        if (serialPrefix.Length is < 1 or > 3)
            throw new ArgumentException("serial prefix has 1-3 characters", nameof(serialPrefix));
        Directory.CreateDirectory(directory);
        _directory = directory;
        _capacity = capacityBytes;
        _prefix = serialPrefix;
        Owner = owner;
    }

    public string Owner { get; }

    public string PathOf(string volumeSerial) => Path.Combine(_directory, volumeSerial + Extension);

    public IReadOnlyList<string> VolumeSerials() =>
        Directory.EnumerateFiles(_directory, "*" + Extension).Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Order(StringComparer.Ordinal).ToList();

    public string? AppendVolumeSerial => VolumeSerials().Where(s => s.StartsWith(_prefix, StringComparison.Ordinal)).LastOrDefault();

    public ITapeDrive Mount(string volumeSerial, bool writable)
    {
        VolumeLabel.CheckSerial(volumeSerial);
        string path = PathOf(volumeSerial);
        if (!File.Exists(path))
            throw new SnapcatException(ErrorKind.NotFound, "tape.cartridge_not_found", $"cartridge {volumeSerial} is not in the library at {_directory}");
        var drive = new AwsTapeDrive(path, _capacity, readOnly: !writable);
        drive.Load();
        return drive;
    }

    public ITapeDrive MountScratch(out string volumeSerial)
    {
        int digits = 6 - _prefix.Length;
        int next = VolumeSerials().Where(s => s.StartsWith(_prefix, StringComparison.Ordinal) && s.Length == 6)
            .Select(s => int.TryParse(s.AsSpan(_prefix.Length), out int n) ? n : 0).DefaultIfEmpty(0).Max() + 1;
        volumeSerial = _prefix + next.ToString(new string('0', digits));
        if (volumeSerial.Length > 6)
            throw new SnapcatException(ErrorKind.Conflict, "tape.serials_exhausted", $"no more volume serials with prefix {_prefix}");
        string path = PathOf(volumeSerial);
        using (new FileStream(path, FileMode.CreateNew)) { }
        var drive = new AwsTapeDrive(path, _capacity);
        drive.Load();
        return drive;
    }
}
