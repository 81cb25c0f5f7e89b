"""``flask analyze ...`` on the reference CSVs, checked against R's values in expected.json."""

from __future__ import annotations

import json

import pytest

from surveyapp import create_app
from surveyapp.analyze_cli import analyze_cli
from tests.conftest import DATA

REF = DATA / "reference"
EXPECTED = json.loads((REF / "expected.json").read_text(encoding="utf-8"))
CASE_A = EXPECTED["case_a_unweighted_proportion"]["expected"]["main"]
CASE_B = EXPECTED["case_b_stratified_and_cluster_design"]["expected"]
CASE_C = EXPECTED["case_c_poststratify_and_rake"]["expected"]["raked"]
CASE_D = EXPECTED["case_d_rao_scott_chisq"]["expected"]
CASE_E = EXPECTED["case_e_two_wave_change"]["expected"]["weighted_cluster"]
CASE_F = EXPECTED["case_f_cronbach_alpha"]["expected"]
CLUSTER = ["--weight", "w", "--strata", "stratum", "--cluster", "psu"]


@pytest.fixture(scope="module")
def analyze():
    """Run ``flask analyze ARGS...`` on an app without a database; return (exit code, output)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "t"})
    if "analyze" not in app.cli.commands:
        app.cli.add_command(analyze_cli)
    runner = app.test_cli_runner()

    def run(*args: str):
        result = runner.invoke(args=["analyze", *map(str, args)])
        return result.exit_code, result.output
    return run


def ok(analyze, *args: str) -> dict:
    code, output = analyze(*args)
    assert code == 0, output
    return json.loads(output)


def close(value: float, expected: float, rel: float = 1e-5) -> bool:
    return value == pytest.approx(expected, rel=rel)


def test_proportion_stratified_cluster(analyze):
    """Does the design-based proportion match svymean/svyciprop(logit) with df = 9?"""
    data = ok(analyze, "proportion", REF / "case_b_design.csv", "--var", "y", *CLUSTER)
    r, want = data["result"], CASE_B["stratified_cluster"]
    assert close(r["estimate"], want["y"]["mean"]) and close(r["se"], want["y"]["se"])
    assert close(r["deff"], want["y"]["deff_wor"]) and r["df"] == want["degf"] == 9
    assert close(r["ci_low"], want["svyciprop_y"]["logit"]["lower"])
    assert close(r["ci_high"], want["svyciprop_y"]["logit"]["upper"])
    assert data["inputs"]["rows_read"] == data["inputs"]["rows_used"] == r["n"] == 60
    assert data["inputs"]["options"]["cluster"] == "psu"


@pytest.mark.parametrize("design", ["stratified", "stratified_cluster"])
def test_proportion_by_sex(analyze, design):
    """Does --by give one domain estimate per sex with svyby's SEs under each design?"""
    args = CLUSTER if design == "stratified_cluster" else ["--weight", "w", "--strata", "stratum"]
    data = ok(analyze, "proportion", REF / "case_b_design.csv", "--var", "y", "--by", "sex", *args)
    want = CASE_B[design]["by_sex_y"]
    assert [g["group"] for g in data["results"]] == ["F", "M"]
    for group in data["results"]:
        expected = want[group["group"]]
        assert close(group["estimate"], expected["mean"]) and close(group["se"], expected["se"])
        assert group["n"] == expected["n_unweighted"]


@pytest.mark.parametrize(("ci", "key"), [(None, "wilson"), ("clopper-pearson", "clopper_pearson")])
def test_proportion_unweighted(analyze, ci, key):
    """Without a design: p = 17/50 with the Wilson (default) or Clopper–Pearson interval."""
    extra = [] if ci is None else ["--ci", ci]
    r = ok(analyze, "proportion", REF / "case_a_unweighted.csv", "--var", "y", *extra)["result"]
    assert r["n"] == CASE_A["n"] and close(r["estimate"], CASE_A["p"]) and close(r["se"], CASE_A["se_srs"])
    assert close(r["ci_low"], CASE_A[key]["lower"]) and close(r["ci_high"], CASE_A[key]["upper"])


def test_proportion_value_and_non_binary_variable(analyze):
    """Does a non-0/1 variable need --value, and does --value pick the level that counts?"""
    code, output = analyze("proportion", REF / "case_b_design.csv", "--var", "opinion")
    assert code == 1 and "agree, disagree, neutral" in output and "--value" in output
    r = ok(analyze, "proportion", REF / "case_b_design.csv", "--var", "opinion", "--value", "agree")["result"]
    assert r["n"] == 60 and r["count"] == 29
    r = ok(analyze, "proportion", REF / "case_b_design.csv", "--var", "likert", "--value", "4")["result"]
    assert r["count"] == 19


def test_mean_score_cluster(analyze):
    """Does the design-based mean match svymean(~score) and its t(9) interval?"""
    r = ok(analyze, "mean", REF / "case_b_design.csv", "--var", "score", *CLUSTER)["result"]
    want = CASE_B["stratified_cluster"]["score"]
    assert close(r["estimate"], want["mean"]) and close(r["se"], want["se"])
    assert close(r["deff"], want["deff_wor"])
    assert close(r["ci_low"], want["ci_t_degf"]["lower"]) and close(r["ci_high"], want["ci_t_degf"]["upper"])


def test_rake(analyze):
    """Does rake report the raked weights and the raked mean with its calibration-aware SE?"""
    data = ok(analyze, "rake", REF / "case_c_rake.csv", "--weight", "w0",
              "--margins", REF / "case_c_population_margins.csv", "--var", "y")
    w, r = data["weights"], data["result"]
    assert data["converged"] and close(w["sum"], 10000)
    assert close(w["min"], CASE_C["weight_min"]) and close(w["max"], CASE_C["weight_max"])
    assert close(w["kish_deff"], CASE_C["kish_deff_weights"])
    assert close(r["estimate"], CASE_C["mean"]) and close(r["se"], CASE_C["se"])


def test_rake_trim_and_output_file(analyze, tmp_path):
    """Does --trim-upper cap the weights (as a multiple of the mean) and --output write the JSON?"""
    out = tmp_path / "raked.json"
    code, output = analyze("rake", REF / "case_c_rake.csv", "--weight", "w0", "--margins",
                           REF / "case_c_population_margins.csv", "--trim-upper", "1.3", "--output", out)
    assert code == 0 and output == ""
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["trimmed"] and close(data["weights"]["max"], 325) and close(data["weights"]["sum"], 10000)


def test_crosstab_cluster_design(analyze):
    """Does the crosstab's Rao–Scott F match svychisq under the stratified-cluster design?"""
    data = ok(analyze, "crosstab", REF / "case_b_design.csv", "--row", "sex", "--col", "opinion", *CLUSTER)
    test, want = data["result"]["test"], CASE_D["cluster_design"]["F"]
    assert close(test["statistic"], want["statistic"]) and close(test["p_value"], want["p_value"])
    assert close(test["df"], want["parameter"]["ndf"]) and close(test["ddf"], want["parameter"]["ddf"])
    assert data["result"]["counts"]["F"]["agree"] == 2150


def test_crosstab_unweighted_and_suppressed(analyze):
    """Unweighted: Pearson's chi-squared; --suppress-below hides small cells and the test."""
    test = ok(analyze, "crosstab", REF / "case_b_design.csv", "--row", "sex", "--col", "opinion")["result"]["test"]
    want = CASE_D["unweighted_pearson"]
    assert close(test["statistic"], want["statistic"]) and close(test["p_value"], want["p_value"])
    r = ok(analyze, "crosstab", REF / "case_b_design.csv", "--row", "sex", "--col", "opinion",
           "--suppress-below", "5")["result"]
    assert r["n"]["F"]["disagree"] is None and r["test"] is None


def test_alpha(analyze):
    """Does alpha match psych::alpha, with alpha-if-deleted per item?"""
    data = ok(analyze, "alpha", REF / "case_f_scale.csv", "--items", "q1,q2,q3,q4")
    r = data["result"]
    assert close(r["estimate"], CASE_F["psych_raw_alpha"]) and r["n"] == 20
    assert close(r["standardized_alpha"], CASE_F["psych_std_alpha"])
    assert all(close(r["alpha_if_deleted"][q], v) for q, v in CASE_F["alpha_if_dropped"].items())


def test_compare_two_waves(analyze):
    """Does compare give wave 2 minus wave 1 with SE √(se1² + se2²) and t(18)?"""
    r = ok(analyze, "compare", REF / "case_b_design.csv", REF / "case_e_wave2.csv", "--var", "y", *CLUSTER)["result"]
    assert close(r["estimate"], CASE_E["diff"]) and close(r["se"], CASE_E["se_diff"])
    assert r["df"] == CASE_E["degf"] and close(r["p_value"], CASE_E["p_t_degf"])
    assert close(r["p_value_normal"], CASE_E["p_normal"]) and close(r["statistic"], CASE_E["z"])


def test_compare_by_group_adjusts(analyze):
    """Does compare --by give one change per group with Holm-adjusted p-values?"""
    data = ok(analyze, "compare", REF / "case_b_design.csv", REF / "case_e_wave2.csv", "--var", "y",
              "--by", "sex", "--adjust", "holm", *CLUSTER)
    results = data["results"]
    assert [g["group"] for g in results] == ["F", "M"]
    assert close(results[0]["estimate1"], CASE_B["stratified_cluster"]["by_sex_y"]["F"]["mean"])
    smallest = min(g["p_value"] for g in results)
    assert all(g["p_adjusted"] >= g["p_value"] for g in results)
    assert close(min(g["p_adjusted"] for g in results), 2 * smallest)


def test_missing_column(analyze):
    """Is a missing column a one-line error naming it, exit 1, no traceback?"""
    code, output = analyze("mean", REF / "case_b_design.csv", "--var", "nope")
    assert code == 1 and "'nope'" in output and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1


def test_non_numeric_and_missing_weights(analyze, tmp_path):
    """Are a non-numeric weight and a missing weight clear errors naming the column?"""
    code, output = analyze("proportion", REF / "case_b_design.csv", "--var", "y", "--weight", "sex")
    assert code == 1 and "weight column 'sex' is not numeric" in output
    gappy = tmp_path / "gappy.csv"
    gappy.write_text("y,w\n1,1\n0,\n1,2\n", encoding="utf-8")
    code, output = analyze("proportion", gappy, "--var", "y", "--weight", "w")
    assert code == 1 and "weight column 'w' has 1 missing value" in output


def test_missing_answers_are_not_counted(analyze, tmp_path):
    """Are missing values of --var left out of n (and of rows_used)?"""
    data_file = tmp_path / "gaps.csv"
    data_file.write_text("id,y\n1,1\n2,0\n3,\n4,1\n", encoding="utf-8")
    data = ok(analyze, "proportion", data_file, "--var", "y")
    assert data["result"]["n"] == 3 and data["inputs"]["rows_read"] == 4 and data["inputs"]["rows_used"] == 3


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_chinese_excel_encodings(analyze, tmp_path, encoding):
    """Is a GBK (Excel in China) or BOM-marked UTF-8 file read with its Chinese headers and values?"""
    data_file = tmp_path / "data.csv"
    rows = ["性别,满意,权重"] + [f"{'男' if i % 2 else '女'},{'是' if i % 3 else '否'},{1 + i % 2}" for i in range(12)]
    data_file.write_bytes("\n".join(rows).encode(encoding))
    data = ok(analyze, "proportion", data_file, "--var", "满意", "--value", "是", "--by", "性别")
    assert [g["group"] for g in data["results"]] == ["女", "男"]
    assert sum(g["count"] for g in data["results"]) == 8
    assert "满意" in analyze("proportion", data_file, "--var", "满意")[1]  # unescaped in the error too
