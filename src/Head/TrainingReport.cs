namespace Pipeline;

/// <summary>What <see cref="TransferLearning.Sweep"/> gives: the chosen classifier and every setting's held-out score.</summary>
/// <param name="Classifier">The best setting, refitted on every training image. The caller disposes it.</param>
/// <param name="Scores">Each setting's held-out score, in the order given; empty when nothing could be held out.</param>
public sealed record TrainingReport(Classifier Classifier, IReadOnlyList<SettingScore> Scores);
