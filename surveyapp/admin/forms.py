"""Forms of the researchers' pages."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("用户名", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("密码", validators=[DataRequired(), Length(max=200)])


class ReportForm(FlaskForm):
    """生成报告: which waves and communities, in which format and layout."""

    wave = SelectField("调查期次", validate_choice=True)
    compare_with = SelectField("对比期次", validate_choice=True)
    channels = SelectMultipleField("社区（不选则为全部）", validate_choice=True)
    layout = SelectField("报告模板", validate_choice=True)
    fmt = SelectField("格式", choices=[SelectChoice("docx", "Word（.docx）"), SelectChoice("pdf", "PDF"),
                                      SelectChoice("html", "网页（HTML）"),
                                      SelectChoice("md", "Markdown（.zip，含图表）")], default="docx")

    def validate_compare_with(self, field) -> None:
        if field.data and field.data == self.wave.data:
            raise ValidationError("对比期次应与调查期次不同")
