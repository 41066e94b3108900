import React, { useState } from "react";

interface Props { label: string }

// A button that counts.
export function Counter({ label }: Props) {
  const [n, setN] = useState(0);
  return <button onClick={() => setN(n + 1)}>{label} {n}</button>;
}

export const Title = (props: Props) => <h1>{props.label}</h1>;
