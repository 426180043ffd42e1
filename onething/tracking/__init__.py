"""跟踪办件: the applicant's pages about a submitted case (my applications, the case page,
corrections, supplements and deferred materials supplied on it). Above every stage: it reads
what each stage wrote and hands each action to the stage that owns it."""
