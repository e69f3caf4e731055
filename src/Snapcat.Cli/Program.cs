// Thin entry point: the command tree and its handlers live in Commands/, quickstart in Quickstart/.
return await SnapcatCommand.RunAsync(args).ConfigureAwait(false);
