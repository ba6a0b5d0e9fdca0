from evals.scoring import cluster_answers, majority, normalized


def test_clusters_by_equivalence_in_population_order():
    clusters = cluster_answers(["4", "4.0", None, "5", "Four", "5"], normalized)
    assert [(c.answer, c.members) for c in clusters] == [("4", [0, 1]), ("5", [3, 5]), ("Four", [4])]


def test_ties_go_to_the_earliest_cluster():
    clusters = cluster_answers(["7", "3", "3", "7"], normalized)
    assert majority(clusters).answer == "7"
    clusters = cluster_answers(["3", "7", "7", "3"], normalized)
    assert majority(clusters).answer == "3"


def test_largest_cluster_wins_even_when_it_starts_late():
    assert majority(cluster_answers(["1", "2", "2"], normalized)).answer == "2"


def test_no_answers_never_win():
    clusters = cluster_answers([None, None, None, "9"], normalized)
    assert majority(clusters).answer == "9"
    assert majority(cluster_answers([None, None], normalized)) is None
