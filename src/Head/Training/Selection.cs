namespace Pipeline.Head.Training;

/// <summary>The final head of one or several settings, and the held-out score of each (none when nothing could be held out).</summary>
internal sealed record Selection(TrainedHead Head, IReadOnlyList<SettingScore> Scores);
